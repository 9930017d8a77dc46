import base64
import contextlib
import json
import logging
import secrets
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.mfg_integration_core import secrets_at_rest as crypto
from odoo.addons.mfg_integration_core.models.outbox_delivery import SendOutcome

_logger = logging.getLogger(__name__)

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# the receiver asks to wait: the Retry-After header says how long
RETRY_AFTER_STATUSES = (429, 503)


class MfgIntegrationWebhookEndpoint(models.Model):
    """A receiver of the suite's events over HTTP: the outbox's webhook sink."""

    _name = "mfg.integration.webhook.endpoint"
    _description = "Webhook Endpoint"
    _inherit = ["mfg.integration.outbox.sink"]
    _order = "name"
    _delivery_model = "mfg.integration.webhook.delivery"
    _drain_channel = "root.mfg_integration_webhook.endpoint"
    _circuit_activity_type = "mfg_integration_webhook.mail_activity_circuit_open"

    url = fields.Char(string="URL", required=True, tracking=True)
    allow_insecure = fields.Boolean(
        string="Allow plain HTTP",
        groups="base.group_system",
        help="Only for hosts on this machine (localhost); everything else needs https.",
    )
    custom_headers = fields.Text(help='JSON object of extra headers, e.g. {"X-Plant": "P1"}.')
    timeout = fields.Float(string="Timeout (s)", default=10.0)
    secret_ids = fields.One2many(
        "mfg.integration.webhook.secret", "endpoint_id", string="Signing Secrets"
    )
    delivery_ids = fields.One2many("mfg.integration.webhook.delivery", "endpoint_id")

    @api.constrains("url", "allow_insecure")
    def _check_url(self):
        for endpoint in self:
            parsed = urlparse(endpoint.url or "")
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValidationError(_("'%s' is not an http(s) URL.", endpoint.url))
            if parsed.scheme == "http" and not (
                endpoint.sudo().allow_insecure and parsed.hostname in LOCAL_HOSTS
            ):
                raise ValidationError(
                    _(
                        "Webhooks are sent over https only. Plain http is allowed for hosts on "
                        "this machine (localhost) once an administrator ticks 'Allow plain HTTP'."
                    )
                )

    @api.constrains("custom_headers")
    def _check_custom_headers(self):
        for endpoint in self.filtered("custom_headers"):
            try:
                headers = json.loads(endpoint.custom_headers)
                assert isinstance(headers, dict)
            except (ValueError, AssertionError) as error:
                raise ValidationError(_("Custom headers must be a JSON object.")) from error

    # ------------------------------------------------------------------
    # Secrets
    # ------------------------------------------------------------------
    def action_generate_secret(self):
        """New signing secret; the previous ones stay valid for a day (rotation)."""
        self.ensure_one()
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        # secrets are written by this action only, never by hand; those the server
        # can no longer read cannot sign during the rotation
        now = fields.Datetime.now()
        old = self.sudo().secret_ids.filtered(lambda s: not s.expires_at)
        unreadable = old.filtered(lambda s: not crypto.readable(s.encrypted_secret))
        unreadable.write({"expires_at": now})
        (old - unreadable).write({"expires_at": now + timedelta(days=1)})
        self.env["mfg.integration.webhook.secret"].sudo().create(
            {
                "endpoint_id": self.id,
                "encrypted_secret": crypto.encrypt(secret),
                "prefix": secret[:12],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Signing secret"),
            "res_model": "mfg.integration.webhook.secret.reveal",
            "view_mode": "form",
            "target": "new",
            "context": {"default_endpoint_id": self.id, "mfg_webhook_secret": secret},
        }

    def _signing_secrets(self):
        """The valid secrets the server can read, newest first. An endpoint whose
        secrets were all encrypted under another server key is paused, once, with
        a message that names the fix (see crypto.SecretUnreadable)."""
        self.ensure_one()
        now = fields.Datetime.now()
        valid = self.sudo().secret_ids.filtered(lambda s: not s.expires_at or s.expires_at > now)
        readable = []
        for secret in valid.sorted("id", reverse=True):
            try:
                readable.append(crypto.decrypt(secret.encrypted_secret))
            except crypto.SecretUnreadable:
                continue
        if valid and not readable:
            self._pause_for_unreadable_secret()
        return readable

    def _pause_for_unreadable_secret(self):
        if self.state != "active":
            return
        self.sudo().write({"state": "paused"})
        message = _(
            "Paused: the signing secret of this endpoint cannot be decrypted, because the "
            "server's secret key (mfg_integration_secret_key) has changed. Generate a new "
            "signing secret (Generate Secret), give it to the receiver, then activate the "
            "endpoint: the waiting deliveries are then sent."
        )
        self.sudo().message_post(body=message)
        _logger.warning("Webhook endpoint %s (id %s): %s", self.name, self.id, message)

    # ------------------------------------------------------------------
    # UI actions
    # ------------------------------------------------------------------
    def action_send_test_event(self):
        self.ensure_one()
        if not self.secret_ids:
            raise UserError(_("Generate a signing secret first."))
        event = self.env["mfg.integration.event"]._emit(
            "mfg.integration.test.v1",
            self,
            {"endpoint": self.name, "message": "Hello from Odoo"},
            subject=f"test/{self.id}",
        )
        # the test event goes to this endpoint only, whatever anyone subscribed to
        for Sink in self.env["mfg.integration.outbox.sink"]._sink_models():
            Delivery, sink_field = Sink._deliveries()
            deliveries = Delivery.sudo().search([("event_id", "=", event.id)])
            deliveries.filtered(lambda d, field=sink_field: d[field] != self).unlink()
        Delivery = self.env["mfg.integration.webhook.delivery"].sudo()
        if not Delivery.search_count([("event_id", "=", event.id), ("endpoint_id", "=", self.id)]):
            Delivery.create({"event_id": event.id, "endpoint_id": self.id})
        self._schedule_drain()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "info", "message": _("Test event %s queued.", event.event_uid)},
        }

    # ------------------------------------------------------------------
    # Sending over HTTP (the rest of the drain is the outbox's)
    # ------------------------------------------------------------------
    def _address(self):
        return self.url

    def _drain_blocked(self):
        if not self._signing_secrets():
            return "no signing secret: deliveries wait"
        return False

    @contextlib.contextmanager
    def _sink_transport(self):
        """One kept-alive connection per drain, and the secrets decrypted once."""
        with requests.Session() as session:
            yield session, self._signing_secrets()

    def _send_batch(self, deliveries, transport):
        """POST one delivery after the other: the drain may stop between two."""
        session, secrets_ = transport
        for delivery in deliveries:
            yield self._http_outcome(*delivery._request(self, session, secrets_))

    def _http_outcome(self, status, error, elapsed, retry_after, headers, body, text):
        """The status-code rules: 2xx is delivered, 410 disables the endpoint, 429
        and 503 honour Retry-After, anything else retries on the schedule."""
        outcome = SendOutcome(
            delivered=error is None,
            error=error,
            status=status or 0,
            latency_ms=elapsed * 1000.0,
            log={
                "route": self.url,
                "method": "POST",
                "request_headers": {
                    key: value for key, value in headers.items() if key != "webhook-signature"
                },
                "request_payload": body,
                "response_payload": text,
            },
        )
        if status == 410:
            outcome.final = True
            outcome.error = _("410 Gone: the endpoint was disabled")
            self.sudo().write({"state": "disabled"})
            self.message_post(body=_("The receiver answered 410 Gone: endpoint disabled."))
        elif status in RETRY_AFTER_STATUSES:
            outcome.retry_after = _retry_after_seconds(retry_after)
        return outcome


def _retry_after_seconds(value):
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0, int(value))
    except ValueError:
        try:
            return max(0, int(parsedate_to_datetime(value).timestamp() - time.time()))
        except (TypeError, ValueError):
            return None


class MfgIntegrationWebhookSecret(models.Model):
    _name = "mfg.integration.webhook.secret"
    _description = "Webhook Signing Secret"
    _order = "id desc"

    endpoint_id = fields.Many2one(
        "mfg.integration.webhook.endpoint", required=True, ondelete="cascade"
    )
    encrypted_secret = fields.Char(required=True, groups="base.group_system")
    prefix = fields.Char(readonly=True, help="The first characters, to tell secrets apart.")
    expires_at = fields.Datetime(
        help="During a rotation the previous secret keeps signing until then."
    )
    company_id = fields.Many2one(related="endpoint_id.company_id", store=True)


class MfgIntegrationWebhookSecretReveal(models.TransientModel):
    _name = "mfg.integration.webhook.secret.reveal"
    _description = "New Webhook Signing Secret"

    endpoint_id = fields.Many2one("mfg.integration.webhook.endpoint", readonly=True)
    secret = fields.Char(
        readonly=True, default=lambda self: self.env.context.get("mfg_webhook_secret", False)
    )

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([{**vals, "secret": False} for vals in vals_list])
