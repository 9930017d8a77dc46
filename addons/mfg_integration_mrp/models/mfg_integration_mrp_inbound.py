"""The command handlers' deviations reported to the incident service of core:
inventory counts that disagree with Odoo beyond tolerance (commands/stock.py),
and quality holds that block open deliveries (commands/quality.py)."""

from odoo import api, models


class MfgIntegrationMrpInbound(models.AbstractModel):
    _inherit = "mfg.integration.mrp.inbound"

    @api.model
    def _on_inventory_discrepancy(self, ctx, product, location, lot, expected, counted, tolerance):
        result = super()._on_inventory_discrepancy(
            ctx, product, location, lot, expected, counted, tolerance
        )
        self.env["mfg.integration.incident"]._report(
            "inventory_discrepancy",
            f"{ctx.system.code} counted {counted:g} {product.display_name} in "
            f"{location.complete_name}{f' (lot {lot.name})' if lot else ''}; Odoo had "
            f"{expected:g} (tolerance {tolerance:g}%)",
            key=f"{product.id}|{location.id}|{lot.id if lot else 0}",
            system=ctx.system,
            record=product,
        )
        return result

    @api.model
    def _on_quality_hold_blocks_delivery(self, ctx, lot, moves):
        result = super()._on_quality_hold_blocks_delivery(ctx, lot, moves)
        pickings = moves.picking_id
        self.env["mfg.integration.incident"]._report(
            "quality_hold",
            f"Lot {lot.name} of {lot.product_id.display_name} is on hold; it was reserved for "
            f"{', '.join(pickings.mapped('name'))}",
            key=str(lot.id),
            severity="high",
            system=ctx.system,
            record=lot,
        )
        return result
