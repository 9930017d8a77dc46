"""Deliveries of the outbox: one per event and subscriber, each with its attempts.

Every sink kind has a delivery model on this mixin. The sink's drain job
claims the ready deliveries, its transport sends them, and what the transport
answers (a `SendOutcome` per delivery) is recorded here the same way for every
kind: back-off with jitter, Retry-After, dead letters, replay.
"""

import dataclasses
import logging
import random
from datetime import timedelta

from psycopg2 import sql
from psycopg2.extras import execute_values

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

DELIVERY_STATES = [
    ("pending", "Pending"),
    ("retrying", "Retrying"),
    ("delivered", "Delivered"),
    ("dead", "Dead letter"),
]
WAITING_STATES = ("pending", "retrying")


@dataclasses.dataclass
class SendOutcome:
    """What a sink's transport says about one delivery it sent.

    ``delivered``: the receiver took it. Otherwise ``error`` says why and the
    delivery is retried on the sink's schedule, after ``retry_after`` seconds
    when the receiver asked for that pause, or never again when ``final`` (it
    becomes a dead letter at once). ``status`` is the transport's own code (an
    HTTP status), ``latency_ms`` how long the send took, and ``log`` the
    transport's part of the message log row (route, method, headers, payloads).
    """

    delivered: bool
    error: str | None = None
    status: int = 0
    latency_ms: float = 0.0
    retry_after: float | None = None
    final: bool = False
    log: dict = dataclasses.field(default_factory=dict)


class MfgIntegrationOutboxDelivery(models.AbstractModel):
    _name = "mfg.integration.outbox.delivery"
    _description = "Outbox Delivery"
    _order = "id desc"

    # the Many2one to the sink, declared by each delivery model with its comodel
    _sink_field = "sink_id"

    event_id = fields.Many2one(
        "mfg.integration.event", required=True, ondelete="cascade", index=True
    )
    event_type = fields.Char(related="event_id.type", store=True)
    subject = fields.Char(related="event_id.subject", store=True, index=True)
    state = fields.Selection(DELIVERY_STATES, default="pending", required=True, index=True)
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(default=fields.Datetime.now, index=True)
    last_status = fields.Integer(readonly=True)
    last_error = fields.Char(readonly=True)
    latency_ms = fields.Float(readonly=True, digits=(16, 1))
    delivered_at = fields.Datetime(readonly=True)

    def _sinks(self):
        return self.mapped(self._sink_field)

    # ------------------------------------------------------------------
    # Replay
    # ------------------------------------------------------------------
    def _replay(self):
        """Send again, with the same event id: the receiver can de-duplicate."""
        self.write(
            {
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": fields.Datetime.now(),
                "last_error": False,
            }
        )
        self._sinks()._schedule_drain()

    def action_replay(self):
        self._replay()
        return True

    # ------------------------------------------------------------------
    # Outcomes
    # ------------------------------------------------------------------
    def _apply_outcome(self, outcome, sink):
        """Record one attempt: (delivered, delivery values, message log values).

        Failures are written at once; deliveries that succeeded are written by
        the caller in bulk (`_record_delivered`).
        """
        self.ensure_one()
        now = fields.Datetime.now()
        attempt = self.attempts + 1
        values = {
            "attempts": attempt,
            "last_status": outcome.status or 0,
            "latency_ms": outcome.latency_ms,
        }
        log = self._log_values(outcome, sink, attempt)
        if outcome.delivered:
            values.update(state="delivered", delivered_at=now, last_error=False)
            return True, values, log
        if outcome.final or attempt >= sink.max_attempts:
            values.update(state="dead", last_error=outcome.error)
        else:
            wait = outcome.retry_after
            if wait is None:
                schedule = sink._schedule() or [60]
                base = schedule[min(attempt - 1, len(schedule) - 1)]
                wait = base * random.uniform(0.9, 1.1)  # jitter spreads retries
            values.update(
                state="retrying",
                last_error=outcome.error,
                next_attempt_at=now + timedelta(seconds=wait),
            )
        self.write(values)
        if self.state == "dead":
            self._on_dead_letter()
        return False, values, log

    def _log_values(self, outcome, sink, attempt):
        """The message log row of one attempt; the transport adds its own part."""
        event = self.event_id
        return {
            "direction": "outbound",
            "system_id": sink.system_id.id,
            "correlation_id": event.correlation_id,
            "traceparent": event.traceparent,
            "status": "success" if outcome.delivered else "failed",
            "http_status": outcome.status or 0,
            "latency_ms": outcome.latency_ms,
            "attempt": attempt,
            "error": outcome.error,
            "company_id": sink.company_id.id,
            "res_model": "mfg.integration.event",
            "res_id": event.id,
            **outcome.log,
        }

    @api.model
    def _record_delivered(self, rows):
        """Bulk-write deliveries that succeeded: [(delivery, values)]."""
        if not rows:
            return
        query = sql.SQL(
            """UPDATE {table} AS delivery
                  SET state = 'delivered', attempts = row.attempts, last_status = row.status,
                      latency_ms = row.latency, delivered_at = row.at, last_error = NULL,
                      write_date = row.at, write_uid = row.uid
                 FROM (VALUES %s) AS row(id, attempts, status, latency, at, uid)
                WHERE delivery.id = row.id"""
        ).format(table=sql.Identifier(self._table))
        execute_values(
            self.env.cr._obj,
            query.as_string(self.env.cr._obj),
            [
                (
                    delivery.id,
                    values["attempts"],
                    values["last_status"],
                    values["latency_ms"],
                    values["delivered_at"],
                    self.env.uid,
                )
                for delivery, values in rows
            ],
            template="(%s, %s, %s, %s, %s::timestamp, %s)",
        )
        self.browse([delivery.id for delivery, _values in rows]).invalidate_recordset()

    def _on_dead_letter(self):
        """Hook: called on a delivery that will not be sent again (it can be inherited)."""
        _logger.warning(
            "%s %s to %s is dead: %s",
            self._description,
            self.id,
            self[self._sink_field].display_name,
            self.last_error,
        )
        return None
