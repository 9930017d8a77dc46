"""Failures of core's machinery, reported to the incident service.

- a failed background job: a ``queue.job`` of a ``mfg.integration.*`` model;
  requeueing it is its retry, and the job done settles it;
- a dead letter of any sink kind (a delivery that ran out of attempts):
  ``delivery_failed``, the delivery being what a retry sends again;
- an open circuit of any sink kind (the receiver stopped answering):
  ``circuit_open``, the sink being what settles when a delivery goes through.

A retry puts a delivery back in its sink's queue instead of sending it at
once, so the sink's state, its circuit breaker and the FIFO order of its
subjects decide when it leaves; its incident settles once it is delivered.
"""

from odoo import _, api, fields, models

SUITE_JOB_PREFIX = "mfg.integration."


class MfgIntegrationIncident(models.AbstractModel):
    _inherit = "mfg.integration.incident"

    category = fields.Selection(
        selection_add=[
            ("job_failed", "Background job failed"),
            ("delivery_failed", "Delivery failed"),
            ("circuit_open", "Receiver not answering"),
        ]
    )


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


class MfgIntegrationOutboxDelivery(models.AbstractModel):
    _name = "mfg.integration.outbox.delivery"
    _inherit = ["mfg.integration.outbox.delivery", "mfg.integration.retryable"]

    incident_reported = fields.Boolean(
        readonly=True, copy=False, help="Reported as a dead letter, not delivered since."
    )

    def _on_dead_letter(self):
        result = super()._on_dead_letter()
        event = self.event_id
        sink = self[self._sink_field]
        record = self.env[event.res_model].browse(event.res_id) if event.res_model else None
        self.env["mfg.integration.incident"]._report(
            "delivery_failed",
            f"{sink.name} did not accept {event.type} after {self.attempts} "
            f"attempt(s): {self.last_error}",
            key=f"{sink._table}:{sink.id}|{event.type}",
            severity="high",
            system=sink.system_id or None,
            record=record,
            source=self,
            correlation_id=event.correlation_id,
            detail=f"Event {event.event_uid} ({event.subject}) to {sink._address()}: "
            f"last status {self.last_status or 'none'}, {self.last_error}",
        )
        self.incident_reported = True
        return result

    @api.model
    def _record_delivered(self, rows):
        # read from the batch's cache before the bulk write invalidates it: a
        # batch of which nothing was ever reported costs no query here
        reported = self.browse([delivery.id for delivery, _v in rows if delivery.incident_reported])
        sinks = (
            self.env[self._fields[self._sink_field].comodel_name]
            .browse(list({delivery[self._sink_field].id for delivery, _v in rows}))
            .filtered("incident_reported")
        )
        super()._record_delivered(rows)
        if reported:
            reported.incident_reported = False
            self.env["mfg.integration.incident"]._source_settled(reported)
        if sinks:
            # a delivery went through: the circuit is closed again
            sinks.incident_reported = False
            self.env["mfg.integration.incident"]._source_settled(sinks)

    def _integration_retry(self):
        """Queue the delivery again behind the sink's earlier deliveries of
        its subject (None: queued); it settles when it is delivered."""
        self.ensure_one()
        if self.state == "delivered":
            return True
        if self.state == "dead":
            self._replay()
        return None

    def _integration_succeeded(self):
        return self.state == "delivered"


class MfgIntegrationOutboxSink(models.AbstractModel):
    _name = "mfg.integration.outbox.sink"
    _inherit = ["mfg.integration.outbox.sink", "mfg.integration.retryable"]

    incident_reported = fields.Boolean(
        readonly=True, copy=False, help="Its open circuit was reported and has not closed since."
    )

    def _open_circuit(self):
        result = super()._open_circuit()
        if self.incident_reported:
            return result  # a failed probe: the outage is already reported
        self.env["mfg.integration.incident"]._report(
            "circuit_open",
            _(
                "%(sink)s stopped answering: %(n)s deliveries in a row failed",
                sink=self.name,
                n=self.consecutive_failures,
            ),
            key=f"{self._table}:{self.id}",
            severity="high",
            system=self.system_id or None,
            record=self,
            source=self,
            detail=_(
                "Last error: %(error)s. Deliveries wait; a probe is sent every %(cooldown)s s.",
                error=self.last_error or "",
                cooldown=self.cooldown_seconds,
            ),
        )
        self.incident_reported = True
        return result

    def _integration_retry(self):
        """Wake the drain: it probes the receiver once the cooldown has passed
        (None: queued); the incident settles when a delivery goes through."""
        self.ensure_one()
        if self.circuit_state == "closed":
            return True
        self._schedule_drain()
        return None

    def _integration_succeeded(self):
        return self.circuit_state == "closed"
