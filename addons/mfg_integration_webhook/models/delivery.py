"""Webhook deliveries: one per event and endpoint, on the outbox's delivery mixin.

What is HTTP here: the request (Standard Webhooks signature, CloudEvents
`ce-*` headers, the structured envelope as the body).
"""

import json
import time
from urllib.parse import urlsplit, urlunsplit

import requests

from odoo import fields, models

from .. import crypto


class MfgIntegrationWebhookDelivery(models.Model):
    _name = "mfg.integration.webhook.delivery"
    _inherit = ["mfg.integration.outbox.delivery"]
    _description = "Webhook Delivery"
    _order = "id desc"
    _sink_field = "endpoint_id"

    endpoint_id = fields.Many2one(
        "mfg.integration.webhook.endpoint", required=True, ondelete="cascade", index=True
    )
    last_status = fields.Integer(string="Last HTTP Status", readonly=True)
    company_id = fields.Many2one(related="endpoint_id.company_id", store=True)

    _sql_constraints = [
        (
            "event_endpoint_uniq",
            "unique(event_id, endpoint_id)",
            "An event is delivered once per endpoint.",
        ),
    ]

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    def _request(self, endpoint, session, secrets_):
        """POST one delivery; return (status or None, error text or None, seconds,
        Retry-After header, request headers, body, response text)."""
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
        if endpoint.custom_headers:
            headers.update(json.loads(endpoint.custom_headers))
        started = time.perf_counter()
        with self.env["mfg.integration.telemetry"]._span(
            "POST",
            kind="client",
            traceparent=event.traceparent,
            attributes=_client_span_attributes(endpoint.url, event, self.attempts + 1),
        ) as span:
            # the receiver continues the delivery's span (the event's, where untraced)
            if span.traceparent:
                headers["traceparent"] = span.traceparent
            try:
                response = session.post(
                    endpoint.url, data=body, headers=headers, timeout=endpoint.timeout
                )
            except requests.RequestException as error:
                span.set_attribute("error.type", type(error).__name__)
                span.set_error(f"{type(error).__name__}: {error}"[:500])
                return (
                    None,
                    f"{type(error).__name__}: {error}"[:500],
                    time.perf_counter() - started,
                    None,
                    headers,
                    body,
                    "",
                )
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 400:
                span.set_attribute("error.type", str(response.status_code))
                span.set_error(f"HTTP {response.status_code}")
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


def _client_span_attributes(url, event, attempt):
    """OpenTelemetry HTTP client attributes of a delivery; the URL without its
    query or credentials, which may hold secrets."""
    parts = urlsplit(url)
    return {
        "http.request.method": "POST",
        "url.full": urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", "")),
        "server.address": parts.hostname,
        "server.port": parts.port or (443 if parts.scheme == "https" else 80),
        "http.request.resend_count": attempt - 1 or None,
        "mfg.event.id": event.event_uid,
        "mfg.event.type": event.type,
    }
