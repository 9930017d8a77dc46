"""Endpoints whose signing secrets the server can no longer read.

Secrets are encrypted with the server's `mfg_integration_secret_key`. When that
key changes (a new server configuration on an existing database), the stored
secrets cannot be decrypted: such an endpoint is paused once, with a message
that names the fix, instead of failing every drain with a traceback.
"""

import logging

from odoo import _, fields, models

from .. import crypto

_logger = logging.getLogger(__name__)


class MfgIntegrationWebhookEndpoint(models.Model):
    _inherit = "mfg.integration.webhook.endpoint"

    def _signing_secrets(self):
        """The readable secrets, newest first; pauses an endpoint that has none
        but unreadable ones."""
        self.ensure_one()
        try:
            return super()._signing_secrets()
        except crypto.SecretUnreadable:
            pass
        now = fields.Datetime.now()
        readable = []
        for secret in self.sudo().secret_ids.sorted("id", reverse=True):
            if secret.expires_at and secret.expires_at <= now:
                continue
            try:
                readable.append(crypto.decrypt(secret.encrypted_secret))
            except crypto.SecretUnreadable:
                continue
        if not readable:
            self._mfg_pause_for_unreadable_secret()
        return readable

    def _mfg_pause_for_unreadable_secret(self):
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

    def action_generate_secret(self):
        # secrets the server can no longer read cannot sign during a rotation
        now = fields.Datetime.now()
        unreadable = self.sudo().secret_ids.filtered(
            lambda secret: (not secret.expires_at or secret.expires_at > now)
            and not crypto.readable(secret.encrypted_secret)
        )
        unreadable.write({"expires_at": now})
        return super().action_generate_secret()
