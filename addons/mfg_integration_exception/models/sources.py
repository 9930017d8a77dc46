"""Every source of exceptions calls one service: mfg.integration.exception._report()."""

import requests

from odoo import api, models

PROBLEM_CATEGORIES = {
    "unmapped-code": "unmapped_code",
    "unknown-reference": "unknown_reference",
    "validation-error": "validation_error",
    "conflict": "stale_update",
}


class MfgIntegrationWebhookDelivery(models.Model):
    _inherit = "mfg.integration.webhook.delivery"

    def _on_dead_letter(self):
        result = super()._on_dead_letter()
        event = self.event_id
        record = self.env[event.res_model].browse(event.res_id) if event.res_model else None
        self.env["mfg.integration.exception"]._report(
            "delivery_failed",
            f"{self.endpoint_id.name} did not accept {event.type} after {self.attempts} "
            f"attempt(s): {self.last_error}",
            key=f"{self.endpoint_id.id}|{event.type}",
            severity="high",
            system=self.endpoint_id.system_id or None,
            record=record,
            source=self,
            detail=f"Event {event.event_uid} ({event.subject}) to {self.endpoint_id.url}: "
            f"last HTTP status {self.last_status or 'none'}, {self.last_error}",
        )
        return result

    def _exception_retry(self):
        """Send this delivery once more, now; True when the receiver took it."""
        self.ensure_one()
        endpoint = self.endpoint_id.sudo()
        with requests.Session() as session:
            outcome = self._request(endpoint, session, endpoint._signing_secrets())
        self.attempts = 0 if self.state == "dead" else self.attempts
        ok, values, log = self._after_attempt(endpoint, *outcome)
        if ok:
            self.write(values)
        self.env["mfg.integration.message.log"]._log_exchange(log)
        return ok


class MfgIntegrationApiRequest(models.Model):
    _inherit = "mfg.integration.api.request"

    @api.model
    def _on_item_failed(self, item, problem):
        result = super()._on_item_failed(item, problem)
        request = item.request_id.sudo()
        extensions = problem.extensions
        key = (
            f"{extensions.get('kind')}|{extensions.get('value')}"
            if extensions.get("value") is not None
            else problem.detail
        )
        self.env["mfg.integration.exception"]._report(
            PROBLEM_CATEGORIES.get(problem.slug, "inbound_failed"),
            problem.detail,
            key=key,
            system=request.system_id or None,
            source=item,
            detail=f"{request.route} {request.name}, item {item.sequence}: {item.problem}",
            job_uuid=request.job_uuid,
        )
        return result


class MfgIntegrationProductionVariance(models.Model):
    _inherit = "mfg.integration.production.variance"

    @api.model
    def _on_variance_recorded(self, variance):
        result = super()._on_variance_recorded(variance)
        production = variance.production_id
        self.env["mfg.integration.exception"]._report(
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
        self.env["mfg.integration.exception"]._report(
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
        self.env["mfg.integration.exception"]._report(
            "quality_hold",
            f"Lot {lot.name} of {lot.product_id.display_name} is on hold; it was reserved for "
            f"{', '.join(pickings.mapped('name'))}",
            key=str(lot.id),
            severity="high",
            system=ctx.system,
            record=lot,
        )
        return result
