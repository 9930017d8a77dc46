from odoo import fields, models


class MfgIntegrationIncident(models.AbstractModel):
    """The incident category of master data that Odoo cannot take as sent: a
    BoM whose component is its own parent (commands/boms.py). Unknown
    components, unmapped units and stale revisions are reported in the command
    layer's categories."""

    _inherit = "mfg.integration.incident"

    category = fields.Selection(selection_add=[("bom_cycle", "BoM cycle")])
