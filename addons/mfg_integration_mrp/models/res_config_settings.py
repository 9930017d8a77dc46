from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mfg_production_variance_tolerance_pct = fields.Float(
        string="Production Variance Tolerance (%)",
        config_parameter="mfg_integration.production_variance_tolerance_pct",
        default=5.0,
    )
    mfg_inventory_discrepancy_tolerance_pct = fields.Float(
        string="Inventory Discrepancy Tolerance (%)",
        config_parameter="mfg_integration.inventory_discrepancy_tolerance_pct",
        default=2.0,
    )
