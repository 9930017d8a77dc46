from odoo import api, fields, models


class MfgIntegrationProductionVariance(models.Model):
    """Produced (plus scrapped) quantity differs from plan beyond tolerance."""

    _name = "mfg.integration.production.variance"
    _description = "Production Variance"
    _order = "id desc"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------

    production_id = fields.Many2one("mrp.production", required=True, ondelete="cascade", index=True)
    product_id = fields.Many2one(related="production_id.product_id", store=True)
    system_id = fields.Many2one("mfg.integration.system")
    planned_qty = fields.Float(string="Planned", digits="Product Unit of Measure")
    produced_qty = fields.Float(string="Produced", digits="Product Unit of Measure")
    scrapped_qty = fields.Float(string="Scrapped", digits="Product Unit of Measure")
    variance_qty = fields.Float(string="Variance", digits="Product Unit of Measure")
    variance_pct = fields.Float(string="Variance (%)", digits=(16, 2), aggregator="avg")
    tolerance_pct = fields.Float(string="Tolerance (%)", digits=(16, 2), aggregator=False)
    correlation_id = fields.Char()
    company_id = fields.Many2one(related="production_id.company_id", store=True)

    # ------------------------------------------------------------------
    # Business methods (what the production order calls)
    # ------------------------------------------------------------------

    @api.model
    def _record(self, production, produced, scrapped, system=None, correlation_id=None):
        """Record a variance when production is outside tolerance; return it or nothing."""
        planned = production.product_qty
        tolerance = self.env["mfg.integration.settings"]._get(
            "production_variance_tolerance_pct", 5
        )
        variance = produced - planned
        pct = (variance / planned * 100.0) if planned else 100.0
        if abs(pct) <= tolerance:
            return self.browse()
        variance_record = self.sudo().create(
            {
                "production_id": production.id,
                "system_id": system.id if system else False,
                "planned_qty": planned,
                "produced_qty": produced,
                "scrapped_qty": scrapped,
                "variance_qty": variance,
                "variance_pct": pct,
                "tolerance_pct": tolerance,
                "correlation_id": correlation_id,
            }
        )
        production.message_post(
            body=self.env._(
                "Production variance: %(produced)s produced for %(planned)s planned "
                "(%(pct).1f%%, tolerance %(tol)s%%).",
                produced=produced,
                planned=planned,
                pct=pct,
                tol=tolerance,
            )
        )
        self._on_variance_recorded(variance_record)
        return variance_record

    # ------------------------------------------------------------------
    # Outbound event and incident
    # ------------------------------------------------------------------

    @api.model
    def _on_variance_recorded(self, variance):
        """Hook: a variance was recorded. Emit its event, then report it to
        the incident service; an addon that extends it reacts as well."""
        production = variance.production_id
        ref = self.env["mfg.integration.event"]._ref
        self.env["mfg.integration.event"]._emit(
            "mrp.production.variance.v1",
            production,
            {
                "production": ref(production),
                "product": ref(variance.product_id),
                "planned_quantity": variance.planned_qty,
                "produced_quantity": variance.produced_qty,
                "scrapped_quantity": variance.scrapped_qty,
                "variance_quantity": variance.variance_qty,
                "variance_percent": round(variance.variance_pct, 2),
                "tolerance_percent": variance.tolerance_pct,
            },
            subject=f"mrp.production/{production.name}",
        )
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
        return None
