from odoo import fields, models


class MfgIntegrationValueMap(models.Model):
    _inherit = "mfg.integration.value.map"

    mfg_template_map_id = fields.Many2one(
        "mfg.integration.mapping.template.map",
        string="From Template",
        readonly=True,
        ondelete="set null",
        help="Copied from (and updated by pushes of) this template's value map.",
    )
