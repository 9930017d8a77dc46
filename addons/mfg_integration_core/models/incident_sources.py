"""Failed background jobs of the suite, reported to the incident service.

A ``queue.job`` of a ``mfg.integration.*`` model that fails is an incident;
requeueing it is its retry, and the job done settles it.
"""

from odoo import _, fields, models

SUITE_JOB_PREFIX = "mfg.integration."


class MfgIntegrationIncident(models.AbstractModel):
    _inherit = "mfg.integration.incident"

    category = fields.Selection(selection_add=[("job_failed", "Background job failed")])


class QueueJob(models.Model):
    _name = "queue.job"
    _inherit = ["queue.job", "mfg.integration.retryable"]

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") in ("failed", "done"):
            suite_jobs = self.filtered(
                lambda job: (job.model_name or "").startswith(SUITE_JOB_PREFIX)
            )
            if vals["state"] == "failed":
                suite_jobs._report_failure()
            elif suite_jobs:
                self.env["mfg.integration.incident"]._source_settled(suite_jobs)
        return result

    def _report_failure(self):
        Incident = self.env["mfg.integration.incident"]
        for job in self:
            Incident._report(
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

    def _integration_retry(self):
        """Requeue the job; it settles its incident when it is done (None: queued)."""
        self.ensure_one()
        if self.state == "done":
            return True
        self.requeue()
        return None

    def _integration_succeeded(self):
        return self.state == "done"
