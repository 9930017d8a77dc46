"""Webhook failures reported to the incident service of core.

- a dead letter (a delivery that ran out of attempts): ``delivery_failed``,
  the delivery being what a retry sends again;
- an open circuit (the receiver stopped answering): ``circuit_open``, the
  endpoint being what settles when a delivery goes through again.

A retry puts the delivery back in the endpoint's queue instead of sending it
at once, so the endpoint's state, its circuit breaker and the FIFO order of
its subjects decide when it leaves; its incident settles once it is delivered.
"""

from odoo import _, api, fields, models


class MfgIntegrationIncident(models.AbstractModel):
    _inherit = "mfg.integration.incident"

    category = fields.Selection(
        selection_add=[
            ("delivery_failed", "Delivery failed"),
            ("circuit_open", "Receiver not answering"),
        ]
    )


class MfgIntegrationWebhookDelivery(models.Model):
    _name = "mfg.integration.webhook.delivery"
    _inherit = ["mfg.integration.webhook.delivery", "mfg.integration.retryable"]

    incident_reported = fields.Boolean(
        readonly=True, copy=False, help="Reported as a dead letter, not delivered since."
    )

    def _on_dead_letter(self):
        result = super()._on_dead_letter()
        event = self.event_id
        endpoint = self.endpoint_id
        record = self.env[event.res_model].browse(event.res_id) if event.res_model else None
        self.env["mfg.integration.incident"]._report(
            "delivery_failed",
            f"{endpoint.name} did not accept {event.type} after {self.attempts} "
            f"attempt(s): {self.last_error}",
            key=f"{endpoint.id}|{event.type}",
            severity="high",
            system=endpoint.system_id or None,
            record=record,
            source=self,
            correlation_id=event.correlation_id,
            detail=f"Event {event.event_uid} ({event.subject}) to {endpoint.url}: "
            f"last HTTP status {self.last_status or 'none'}, {self.last_error}",
        )
        self.incident_reported = True
        return result

    @api.model
    def _record_delivered(self, rows):
        # read from the batch's cache before the bulk write invalidates it: a
        # batch of which nothing was ever reported costs no query here
        reported = self.browse([delivery.id for delivery, _v in rows if delivery.incident_reported])
        endpoints = (
            self.env["mfg.integration.webhook.endpoint"]
            .browse(list({delivery.endpoint_id.id for delivery, _v in rows}))
            .filtered("incident_reported")
        )
        super()._record_delivered(rows)
        if reported:
            reported.incident_reported = False
            self.env["mfg.integration.incident"]._source_settled(reported)
        if endpoints:
            # a delivery went through: the circuit is closed again
            endpoints.incident_reported = False
            self.env["mfg.integration.incident"]._source_settled(endpoints)

    def _integration_retry(self):
        """Queue the delivery again behind the endpoint's earlier deliveries of
        its subject (None: queued); it settles when it is delivered."""
        self.ensure_one()
        if self.state == "delivered":
            return True
        if self.state == "dead":
            self._replay()
        return None

    def _integration_succeeded(self):
        return self.state == "delivered"


class MfgIntegrationWebhookEndpoint(models.Model):
    _name = "mfg.integration.webhook.endpoint"
    _inherit = ["mfg.integration.webhook.endpoint", "mfg.integration.retryable"]

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
                "%(endpoint)s stopped answering: %(n)s deliveries in a row failed",
                endpoint=self.name,
                n=self.consecutive_failures,
            ),
            key=str(self.id),
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
