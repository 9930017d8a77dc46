"""Every source of exceptions calls one service: mfg.integration.exception._report()."""

import requests

from odoo import _, api, models

from .exception import OPEN_STATES

PROBLEM_CATEGORIES = {
    "unmapped-code": "unmapped_code",
    "unknown-reference": "unknown_reference",
    "validation-error": "validation_error",
    "conflict": "stale_update",
}
MAPPING_TYPES = {"unmapped-code": "code", "unknown-reference": "reference"}
SUITE_JOB_PREFIX = "mfg.integration."


def report_problem(env, problem, system, **kwargs):
    """Open (or count) the exception of an inbound problem document."""
    extensions = problem.extensions
    value = extensions.get("value")
    mapping = None
    if problem.slug in MAPPING_TYPES and value is not None and extensions.get("kind"):
        mapping = (MAPPING_TYPES[problem.slug], extensions["kind"], str(value))
    return env["mfg.integration.exception"]._report(
        PROBLEM_CATEGORIES.get(problem.slug, "inbound_failed"),
        problem.detail,
        key=f"{extensions.get('kind')}|{value}" if value is not None else problem.detail,
        system=system or None,
        mapping=mapping,
        **kwargs,
    )


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
            correlation_id=event.correlation_id,
            detail=f"Event {event.event_uid} ({event.subject}) to {self.endpoint_id.url}: "
            f"last HTTP status {self.last_status or 'none'}, {self.last_error}",
        )
        return result

    def _exception_retry(self):
        """Send this delivery once more, now; True when the receiver took it."""
        self.ensure_one()
        if self.state == "delivered":
            return True
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
        report_problem(
            self.env,
            problem,
            request.system_id,
            source=item,
            detail=f"{request.route} {request.name}, item {item.sequence}: {item.problem}",
            job_uuid=request.job_uuid,
            correlation_id=request.correlation_id,
        )
        return result


class MfgIntegrationApi(models.AbstractModel):
    _inherit = "mfg.integration.api"

    @api.model
    def _on_request_refused(self, ctx, problem):
        """A synchronous request named a code or id nobody mapped: the sender cannot
        fix that, a consultant must. Other refusals are the sender's own to fix."""
        result = super()._on_request_refused(ctx, problem)
        if problem.slug in MAPPING_TYPES and ctx.system:
            report_problem(
                self.env,
                problem,
                ctx.system.sudo(),
                detail=f"{ctx.channel} from {ctx.client.sudo().name}: "
                f"{problem.detail} The sender's next request passes once it is mapped.",
                correlation_id=ctx.correlation_id,
            )
        return result


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") in ("failed", "done"):
            suite_jobs = self.filtered(
                lambda job: (job.model_name or "").startswith(SUITE_JOB_PREFIX)
            )
            if vals["state"] == "failed":
                suite_jobs._report_failure()
            else:
                suite_jobs._settle_exceptions()
        return result

    def _report_failure(self):
        Exception_ = self.env["mfg.integration.exception"]
        for job in self:
            Exception_._report(
                "job_failed",
                _(
                    "Background job '%(job)s' failed after %(tries)s attempt(s): %(error)s",
                    job=job.name or job.func_string,
                    tries=job.retry,
                    error=job.exc_message or job.exc_name or "",
                ),
                key=f"{job.model_name}|{job.method_name}|{job.exc_name}",
                severity="high",
                source=job,
                job_uuid=job.uuid,
                detail=job.exc_info,
            )

    def _settle_exceptions(self):
        """A failed job that now succeeded settles its occurrence; the last one resolves."""
        occurrences = (
            self.env["mfg.integration.exception.occurrence"]
            .sudo()
            .search(
                [
                    ("job_uuid", "in", self.mapped("uuid")),
                    ("settled", "=", False),
                    ("exception_id.category", "=", "job_failed"),
                ]
            )
        )
        occurrences.settled = True
        for exception in occurrences.exception_id:
            if exception.state in OPEN_STATES and all(exception.occurrence_ids.mapped("settled")):
                exception._resolve_after_retry()

    def _exception_retry(self):
        """Requeue the job; it settles the exception when it succeeds (None: queued)."""
        self.ensure_one()
        if self.state == "done":
            return True
        self.requeue()
        return None


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
