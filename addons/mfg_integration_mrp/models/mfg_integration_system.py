from odoo import fields, models


class MfgIntegrationSystem(models.Model):
    _inherit = "mfg.integration.system"

    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Plant",
        check_company=True,
        help="Plant (warehouse) this system serves: where its stock commands count and "
        "look up availability by default.",
    )
