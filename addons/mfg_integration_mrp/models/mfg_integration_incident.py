from odoo import fields, models


class MfgIntegrationIncident(models.AbstractModel):
    """The incident categories of the shop floor's deviations: production
    variances beyond tolerance (mfg_integration_production_variance.py),
    inventory counts that disagree with Odoo beyond tolerance and quality holds
    that block open deliveries (mfg_integration_mrp_inbound.py)."""

    _inherit = "mfg.integration.incident"

    category = fields.Selection(
        selection_add=[
            ("production_variance", "Production variance"),
            ("inventory_discrepancy", "Inventory discrepancy"),
            ("quality_hold", "Quality hold"),
        ]
    )
