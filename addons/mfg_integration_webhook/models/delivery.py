"""Deliveries: one per (event, endpoint), each with its own attempts and retry time.

A drain job per endpoint sends the ready deliveries in batches over one
kept-alive connection, so throughput is not bounded by one job per delivery.
"""

import json
import logging
import random
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import requests
from psycopg2.extras import execute_values

from odoo import _, api, fields, models

from .. import crypto

_logger = logging.getLogger(__name__)

BATCH_SIZE = 100
DRAIN_SECONDS = 60  # a drain job yields its worker after this long
DELIVERY_STATES = [
    ("pending", "Pending"),
    ("retrying", "Retrying"),
    ("delivered", "Delivered"),
    ("dead", "Dead letter"),
]


class MfgIntegrationWebhookDelivery(models.Model):
    _name = "mfg.integration.webhook.delivery"
    _description = "Webhook Delivery"
    _order = "id desc"

    event_id = fields.Many2one(
        "mfg.integration.event", required=True, ondelete="cascade", index=True
    )
    endpoint_id = fields.Many2one(
        "mfg.integration.webhook.endpoint", required=True, ondelete="cascade", index=True
    )
    event_type = fields.Char(related="event_id.type", store=True)
    subject = fields.Char(related="event_id.subject", store=True, index=True)
    state = fields.Selection(DELIVERY_STATES, default="pending", required=True, index=True)
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(default=fields.Datetime.now, index=True)
    last_status = fields.Integer(string="Last HTTP Status", readonly=True)
    last_error = fields.Char(readonly=True)
    latency_ms = fields.Float(readonly=True, digits=(16, 1))
    delivered_at = fields.Datetime(readonly=True)
    company_id = fields.Many2one(related="endpoint_id.company_id", store=True)

    _sql_constraints = [
        (
            "event_endpoint_uniq",
            "unique(event_id, endpoint_id)",
            "An event is delivered once per endpoint.",
        ),
    ]

    # ------------------------------------------------------------------
    # Replay
    # ------------------------------------------------------------------
    def _replay(self):
        """Send again; the receiver sees the same webhook-id and can de-duplicate."""
        self.write(
            {
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": fields.Datetime.now(),
                "last_error": False,
            }
        )
        self.endpoint_id._schedule_drain()

    def action_replay(self):
        self._replay()
        return True

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    def _request(self, endpoint, session, secrets_):
        """POST one delivery; return (status or None, error text, seconds, Retry-After)."""
        event = self.event_id
        envelope = event._envelope(endpoint.system_id)
        body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "odoo-mfg-integration-webhooks/1.0",
            "webhook-id": event.event_uid,
            "webhook-timestamp": timestamp,
            "webhook-signature": " ".join(
                crypto.sign(secret, event.event_uid, timestamp, body) for secret in secrets_
            ),
            "ce-specversion": "1.0",
            "ce-id": event.event_uid,
            "ce-source": event.source,
            "ce-type": event.type,
            "ce-subject": event.subject or "",
            "ce-time": event.time.isoformat() + "Z",
            "X-Correlation-ID": event.correlation_id or "",
        }
        if event.traceparent:
            headers["traceparent"] = event.traceparent
        if endpoint.custom_headers:
            headers.update(json.loads(endpoint.custom_headers))
        started = time.perf_counter()
        try:
            response = session.post(
                endpoint.url, data=body, headers=headers, timeout=endpoint.timeout
            )
        except requests.RequestException as error:
            return (
                None,
                f"{type(error).__name__}: {error}"[:500],
                time.perf_counter() - started,
                None,
                headers,
                body,
                "",
            )
        elapsed = time.perf_counter() - started
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return (
            response.status_code,
            error,
            elapsed,
            response.headers.get("Retry-After"),
            headers,
            body,
            response.text[:2000],
        )

    def _retry_after_seconds(self, value):
        if not value:
            return None
        try:
            return max(0, int(value))
        except ValueError:
            try:
                return max(0, int(parsedate_to_datetime(value).timestamp() - time.time()))
            except (TypeError, ValueError):
                return None

    def _after_attempt(self, endpoint, status, error, elapsed, retry_after, headers, body, text):
        """The outcome of one attempt: (delivered, delivery values, log values).

        Failures are written at once; deliveries that succeeded are written
        by the caller in bulk.
        """
        now = fields.Datetime.now()
        attempt = self.attempts + 1
        values = {"attempts": attempt, "last_status": status or 0, "latency_ms": elapsed * 1000.0}
        delivered = error is None
        log = {
            "direction": "outbound",
            "system_id": endpoint.system_id.id,
            "route": endpoint.url,
            "method": "POST",
            "correlation_id": self.event_id.correlation_id,
            "traceparent": self.event_id.traceparent,
            "status": "success" if delivered else "failed",
            "http_status": status or 0,
            "latency_ms": elapsed * 1000.0,
            "attempt": attempt,
            "request_headers": {k: v for k, v in headers.items() if k != "webhook-signature"},
            "request_payload": body,
            "response_payload": text,
            "error": error,
            "company_id": endpoint.company_id.id,
            "res_model": "mfg.integration.event",
            "res_id": self.event_id.id,
        }
        if delivered:
            values.update(state="delivered", delivered_at=now, last_error=False)
            return True, values, log
        if status == 410:
            values.update(state="dead", last_error=_("410 Gone: the endpoint was disabled"))
            endpoint.sudo().write({"state": "disabled"})
            endpoint.message_post(body=_("The receiver answered 410 Gone: endpoint disabled."))
        elif attempt >= endpoint.max_attempts:
            values.update(state="dead", last_error=error)
        else:
            wait = self._retry_after_seconds(retry_after) if status in (429, 503) else None
            if wait is None:
                schedule = endpoint._schedule() or [60]
                base = schedule[min(attempt - 1, len(schedule) - 1)]
                wait = base * random.uniform(0.9, 1.1)  # jitter spreads retries
            values.update(
                state="retrying", last_error=error, next_attempt_at=now + timedelta(seconds=wait)
            )
        self.write(values)
        if self.state == "dead":
            self._on_dead_letter()
        return False, values, log

    @api.model
    def _record_delivered(self, rows):
        """Bulk-write deliveries that succeeded: [(delivery, values)]."""
        if not rows:
            return
        execute_values(
            self.env.cr._obj,
            """UPDATE mfg_integration_webhook_delivery AS delivery
                  SET state = 'delivered', attempts = row.attempts, last_status = row.status,
                      latency_ms = row.latency, delivered_at = row.at, last_error = NULL,
                      write_date = row.at, write_uid = row.uid
                 FROM (VALUES %s) AS row(id, attempts, status, latency, at, uid)
                WHERE delivery.id = row.id""",
            [
                (
                    d.id,
                    v["attempts"],
                    v["last_status"],
                    v["latency_ms"],
                    v["delivered_at"],
                    self.env.uid,
                )
                for d, v in rows
            ],
            template="(%s, %s, %s, %s, %s::timestamp, %s)",
        )
        self.browse([d.id for d, _v in rows]).invalidate_recordset()

    def _on_dead_letter(self):
        """Hook: the exception app opens an exception here."""
        _logger.warning(
            "Webhook delivery %s to %s is dead: %s", self.id, self.endpoint_id.url, self.last_error
        )
        return None
