"""Shop-floor deviations reported to the incident service of core: production
variances beyond tolerance, inventory counts that disagree with Odoo beyond
tolerance, and quality holds that block open deliveries."""

from odoo import api, fields, models


class MfgIntegrationIncident(models.AbstractModel):
    _inherit = "mfg.integration.incident"

    category = fields.Selection(
        selection_add=[
            ("production_variance", "Production variance"),
            ("inventory_discrepancy", "Inventory discrepancy"),
            ("quality_hold", "Quality hold"),
        ]
    )


class MfgIntegrationProductionVariance(models.Model):
    _inherit = "mfg.integration.production.variance"

    @api.model
    def _on_variance_recorded(self, variance):
        result = super()._on_variance_recorded(variance)
        production = variance.production_id
        self.env["mfg.integration.incident"]._report(
            "production_variance",
            f"{production.name}: {variance.produced_qty:g} produced for "
            f"{variance.planned_qty:g} planned ({variance.variance_pct:+.1f}%, tolerance "
            f"{variance.tolerance_pct:g}%)",
            key=str(production.id),
            system=variance.system_id or None,
            record=production,
            source=variance,
        )
        return result


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
