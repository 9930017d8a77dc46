import json
from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase
from odoo.tools import config

from odoo.addons.queue_job.tests.common import trap_jobs


class TestMessageLog(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Log = cls.env["mfg.integration.message.log"]
        cls.system = cls.env["mfg.integration.system"].create({"code": "MES-01", "name": "MES"})
        cls.partner = cls.env["res.partner"].create({"name": "Acme"})

    def test_secrets_are_redacted(self):
        log = self.Log._log_exchange(
            {
                "direction": "inbound",
                "system_id": self.system.id,
                "status": "success",
                "request_headers": {
                    "Authorization": "Bearer mfg_live_abcdef123456",
                    "X-API-Key": "mfg_live_abcdef123456",
                    "Content-Type": "application/json",
                },
                "request_payload": json.dumps(
                    {"order": "MO-1", "credentials": {"password": "hunter2", "client_secret": "s3"}}
                ),
                "response_payload": "upstream said: Bearer eyJhbGciOi.xyz token refused",
            },
            record=self.partner,
        )
        self.assertNotIn("mfg_live_abcdef123456", log.request_headers)
        self.assertEqual(json.loads(log.request_headers)["Content-Type"], "application/json")
        payload = json.loads(log.request_payload)
        self.assertEqual(payload["order"], "MO-1")
        self.assertEqual(payload["credentials"], {"password": "***", "client_secret": "***"})
        self.assertEqual(log.response_payload, "upstream said: Bearer *** token refused")
        self.assertEqual(log.record_ref, self.partner)

    def test_payloads_are_capped(self):
        self.env["ir.config_parameter"].set_param("mfg_integration.log_payload_max_bytes", 100)
        log = self.Log._log_exchange(
            {"direction": "outbound", "status": "failed", "request_payload": "é" * 500}
        )
        kept, note = log.request_payload.split("\n")
        self.assertLessEqual(len(kept.encode()), 100)
        self.assertEqual(note, "… [truncated: 1000 bytes in all]")

    def test_bad_setting_falls_back_to_default(self):
        self.env["ir.config_parameter"].set_param("mfg_integration.log_retention_days", "soon")
        self.assertEqual(self.env["mfg.integration.settings"]._get("log_retention_days", 30), 30)

    def _age(self, log, days):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE mfg_integration_message_log SET create_date = %s WHERE id = %s",
            (fields.Datetime.now() - timedelta(days=days), log.id),
        )
        log.invalidate_recordset()

    def test_retention_purges_only_expired_rows(self):
        values = {"direction": "inbound", "status": "success"}
        old, recent = self.Log._log_exchange(values), self.Log._log_exchange(values)
        self._age(old, 11)
        self._age(recent, 9)
        self.env["ir.config_parameter"].set_param("mfg_integration.log_retention_days", 10)
        self.assertEqual(self.Log._purge_expired(), 1)
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
        # 0 keeps everything
        self.env["ir.config_parameter"].set_param("mfg_integration.log_retention_days", 0)
        self._age(recent, 400)
        self.assertEqual(self.Log._purge_expired(), 0)
        self.assertTrue(recent.exists())

    def test_purge_runs_in_batches(self):
        logs = self.Log.create([{"direction": "inbound", "status": "success"}] * 5)
        for log in logs:
            self._age(log, 100)
        self.assertEqual(self.Log._purge_expired(batch_size=2), 5)
        self.assertFalse(logs.exists())

    def test_cron_calls_the_purge(self):
        cron = self.env.ref("mfg_integration_core.ir_cron_retention_purge")
        log = self.Log._log_exchange({"direction": "inbound", "status": "success"})
        self._age(log, 31)
        cron.method_direct_trigger()
        self.assertFalse(log.exists())

    def test_independent_row_survives_rollback(self):
        marker = "independent-log-test"
        self.Log._log_exchange(
            {"direction": "inbound", "status": "failed", "correlation_id": marker},
            independent=True,
        )
        try:
            with self.env.registry.cursor() as other_cr:
                other_cr.execute(
                    "SELECT count(*) FROM mfg_integration_message_log WHERE correlation_id = %s",
                    (marker,),
                )
                self.assertEqual(other_cr.fetchone()[0], 1)
        finally:
            with self.env.registry.cursor() as cleanup_cr:
                cleanup_cr.execute(
                    "DELETE FROM mfg_integration_message_log WHERE correlation_id = %s", (marker,)
                )

    def test_purge_now_enqueues_one_job(self):
        settings = self.env["res.config.settings"].create({})
        with trap_jobs() as trap:
            action = settings.action_purge_message_log()
            settings.action_purge_message_log()  # a second click adds no second job
            trap.assert_jobs_count(1, only=self.Log._purge_expired)
            log = self.Log._log_exchange({"direction": "inbound", "status": "success"})
            self._age(log, 45)
            trap.perform_enqueued_jobs()
        self.assertEqual(action["tag"], "display_notification")
        self.assertFalse(log.exists())

    def test_settings_come_from_parameters_then_server_configuration(self):
        self.assertEqual(
            self.env["mfg.integration.settings"]._get("production_variance_tolerance_pct", 5), 5
        )
        config["mfg_integration_production_variance_tolerance_pct"] = "7.5"
        try:
            self.assertEqual(
                self.env["mfg.integration.settings"]._get("production_variance_tolerance_pct", 5),
                7.5,
            )
            self.env["ir.config_parameter"].set_param(
                "mfg_integration.production_variance_tolerance_pct", "2"
            )
            self.assertEqual(
                self.env["mfg.integration.settings"]._get("production_variance_tolerance_pct", 5), 2
            )
        finally:
            config.options.pop("mfg_integration_production_variance_tolerance_pct", None)
