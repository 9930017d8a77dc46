"""Inbound failures reported to the incident service of core.

- a failed item of an asynchronous batch, by its problem (an unmapped code, an
  unknown reference, a validation error, a stale update, a refused
  operation): the item is what a retry applies again;
- a synchronous request refused for a code or id nobody mapped: the sender
  cannot fix that, a consultant must (other refusals are the sender's own).
"""

from odoo import api, fields, models

from ..problems import CommandProblem

# problem slug: incident category; any other refused item is "inbound_failed"
PROBLEM_CATEGORIES = {
    "unmapped-code": "unmapped_code",
    "unknown-reference": "unknown_reference",
    "validation-error": "validation_error",
    "conflict": "stale_update",
}
# problem slug: what the missing mapping is, a value-map entry or a cross-reference
MAPPING_TYPES = {"unmapped-code": "code", "unknown-reference": "reference"}


def report_problem(env, problem, system, **kwargs):
    """Report an inbound problem document as an incident of its category."""
    extensions = problem.extensions
    value = extensions.get("value")
    mapping = None
    if problem.slug in MAPPING_TYPES and value is not None and extensions.get("kind"):
        mapping = (MAPPING_TYPES[problem.slug], extensions["kind"], str(value))
    return env["mfg.integration.incident"]._report(
        problem.incident_category or PROBLEM_CATEGORIES.get(problem.slug, "inbound_failed"),
        problem.detail,
        key=f"{extensions.get('kind')}|{value}" if value is not None else problem.detail,
        system=system or None,
        mapping=mapping,
        **kwargs,
    )


class MfgIntegrationIncident(models.AbstractModel):
    _inherit = "mfg.integration.incident"

    category = fields.Selection(
        selection_add=[
            ("inbound_failed", "Inbound message failed"),
            ("unmapped_code", "Unmapped code"),
            ("unknown_reference", "Unknown reference"),
            ("validation_error", "Validation error"),
            ("stale_update", "Stale update"),
        ]
    )


class MfgIntegrationCommand(models.AbstractModel):
    _inherit = "mfg.integration.command"

    @api.model
    def _on_command_refused(self, ctx, problem):
        result = super()._on_command_refused(ctx, problem)
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


class MfgIntegrationApiRequestItem(models.Model):
    _name = "mfg.integration.api.request.item"
    _inherit = ["mfg.integration.api.request.item", "mfg.integration.retryable"]

    def _integration_retry(self):
        """Apply a failed item again (after a fix); True when it now succeeds."""
        self.ensure_one()
        if self.state == "done":
            return True
        request = self.request_id.with_user(self.request_id.client_id.technical_user_id)
        ctx = request._api_context()
        try:
            self.with_env(ctx.env)._apply(ctx, ctx.command)
        except CommandProblem:
            return False
        self.request_id.sudo()._update_counts()
        return True

    def _integration_succeeded(self):
        return self.state == "done"
