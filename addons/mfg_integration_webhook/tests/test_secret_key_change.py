from unittest.mock import patch

from cryptography.fernet import Fernet

from odoo.tools import config

from odoo.addons.mfg_integration_core import secrets_at_rest as crypto
from odoo.addons.queue_job.tests.common import trap_jobs

from .test_delivery import WebhookCase


class TestSecretKeyChange(WebhookCase):
    """The server's secret key changes under stored signing secrets (a new
    configuration on an existing database)."""

    def with_new_server_key(self):
        return patch.dict(config.options, {crypto.CONFIG_KEY: Fernet.generate_key().decode()})

    def test_a_secret_encrypted_with_another_key_cannot_be_read(self):
        token = crypto.encrypt("whsec_dGVzdA==")
        self.assertEqual(crypto.decrypt(token), "whsec_dGVzdA==")
        self.assertTrue(crypto.readable(token))
        with self.with_new_server_key():
            self.assertFalse(crypto.readable(token))
            with self.assertRaisesRegex(crypto.SecretUnreadable, "Generate a new signing secret"):
                crypto.decrypt(token)

    def test_endpoint_is_paused_once_with_the_fix_and_recovers_with_a_new_secret(self):
        event = self.emit()
        messages = self.endpoint.message_ids
        with self.with_new_server_key():
            with self.assertLogs(
                "odoo.addons.mfg_integration_webhook.models.endpoint", "WARNING"
            ) as logged:
                # the drain answers instead of failing: nothing is sent, nothing lost
                self.assertEqual(self.drain(), "no signing secret: deliveries wait")
            self.assertEqual(self.endpoint.state, "paused")
            self.assertEqual(self.delivery(event).state, "pending")
            self.assertFalse(self.receiver.requests)
            self.assertEqual(len(logged.output), 1)
            self.assertIn("Generate a new signing secret", logged.output[0])
            notes = self.endpoint.message_ids - messages
            self.assertEqual(len(notes.filtered(lambda m: "cannot be decrypted" in m.body)), 1)
            # further drains (the watchdog, a user) neither fail nor repeat the message
            self.assertEqual(self.drain(), "paused: nothing sent")
            with trap_jobs() as trap:
                self.endpoint._cron_watchdog()
            trap.assert_jobs_count(0, only=self.endpoint._drain)
            self.assertEqual(self.endpoint.message_ids - messages, notes)
            # the fix the message names
            action = self.endpoint.action_generate_secret()
            new_secret = action["context"]["mfg_webhook_secret"]
            self.assertEqual(self.endpoint._signing_secrets(), [new_secret])
            with trap_jobs():
                self.endpoint.action_activate()
            self.assertIn("1 delivered", self.drain())
        self.assertEqual(self.delivery(event).state, "delivered")
        self.assertTrue(self.receiver.requests)
