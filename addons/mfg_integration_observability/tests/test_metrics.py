"""Counting on the hot paths and the gauges computed at scrape time."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .. import metrics

TYPE = "test.outbox.thing.happened.v1"


def sample(name, **labels):
    """The value this process counted (tests run without a metrics directory)."""
    return metrics._registry.get_sample_value(name, labels) or 0.0


def exposed(text, name, **labels):
    """The value of one series in a Prometheus text exposition, or None."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        series, _sep, value = line.rpartition(" ")
        if series == (f"{name}{{{wanted}}}" if labels else name):
            return float(value)
    return None


@tagged("post_install", "-at_install")
class TestCounting(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.telemetry = cls.env["mfg.integration.telemetry"]

    def test_count_and_observe_feed_prometheus(self):
        company = str(self.env.company.id)
        labels = {"subscriber": "Counting test", "sink": "webhook", "outcome": "failed"}
        labels["company"] = company
        before = sample("mfg_deliveries_total", **labels)
        self.telemetry._count("mfg_deliveries_total", **labels)
        self.telemetry._count("mfg_deliveries_total", 2, **labels)
        self.assertEqual(sample("mfg_deliveries_total", **labels), before + 3)
        mine = {"subscriber": "Counting test", "company": company}
        count_before = sample("mfg_delivery_latency_seconds_count", **mine)
        self.telemetry._observe("mfg_delivery_latency_seconds", 0.2, **mine)
        self.assertEqual(sample("mfg_delivery_latency_seconds_count", **mine), count_before + 1)
        text = self.telemetry._render_metrics().decode()
        self.assertEqual(exposed(text, "mfg_deliveries_total", **labels), before + 3)

    def test_a_count_for_no_company_has_an_empty_company(self):
        # as a broker command queue's dead letters are counted: no company said
        before = sample("mfg_dead_letters_total", subscriber="orders.in", company="")
        self.telemetry._count("mfg_dead_letters_total", subscriber="orders.in")
        self.assertEqual(
            sample("mfg_dead_letters_total", subscriber="orders.in", company=""), before + 1
        )
        text = self.telemetry._render_metrics(company_ids=(self.env.company.id,)).decode()
        self.assertNotIn('subscriber="orders.in"', text, "no company's key reads it")

    def test_metrics_switched_off_in_the_configuration_count_nothing(self):
        labels = {"subscriber": "Switched off", "sink": "webhook", "outcome": "delivered"}
        labels["company"] = str(self.env.company.id)
        before = sample("mfg_deliveries_total", **labels)
        self.addCleanup(setattr, metrics, "_enabled", metrics._enabled)
        metrics.configure_from_server_config({metrics.ENABLED_OPTION: "False"})
        self.telemetry._count("mfg_deliveries_total", **labels)
        self.assertEqual(sample("mfg_deliveries_total", **labels), before)
        metrics.configure_from_server_config({})  # on again, as by default
        self.telemetry._count("mfg_deliveries_total", **labels)
        self.assertEqual(sample("mfg_deliveries_total", **labels), before + 1)

    def test_undeclared_metric_or_wrong_labels_are_logged_not_raised(self):
        with self.assertLogs("odoo.addons.mfg_integration_observability.metrics", "ERROR") as logs:
            self.telemetry._count("mfg_no_such_metric_total", system="MES-01")
            self.telemetry._count("mfg_circuit_openings_total", endpoint="wrong label")
        self.assertIn("mfg_no_such_metric_total is not declared", logs.output[0])
        self.assertIn("mfg_circuit_openings_total", logs.output[1])

    def test_refusal_is_counted_by_reason(self):
        if "mfg.integration.auth" not in self.env:
            self.skipTest("API governance is not installed")
        before = sample("mfg_refusals_total", reason="unauthenticated")
        with self.assertRaises(Exception):  # noqa: B017 (AuthRefused of governance)
            self.env["mfg.integration.auth"].authenticate("not a key", "10.9.8.7", "x:read")
        self.assertEqual(sample("mfg_refusals_total", reason="unauthenticated"), before + 1)


@tagged("post_install", "-at_install")
class TestGauges(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "test.mfg.outbox.sink" not in cls.env:
            cls.skipTest(cls, "the outbox test addon is not installed")
        cls.telemetry = cls.env["mfg.integration.telemetry"]
        cls.partner = cls.env["res.partner"].create({"name": "Gauge thing"})
        cls.sink = cls.env["test.mfg.outbox.sink"].create(
            {"name": "Gauge sink", "event_types": "test.outbox.*", "delivery_sla_seconds": 120}
        )

    def _deliveries(self, count):
        with trap_jobs():
            for step in range(count):
                self.env["mfg.integration.event"]._emit(TYPE, self.partner, {"step": step})
        return self.sink.delivery_ids.sorted("id")

    def test_outbox_gauges_count_known_rows(self):
        deliveries = self._deliveries(5)
        self.assertEqual(len(deliveries), 5)
        deliveries[0].write({"state": "delivered"})
        deliveries[1].write({"state": "dead"})
        deliveries[2].write({"state": "retrying"})
        self.sink.write({"circuit_state": "open"})
        deliveries.flush_recordset()
        self.sink.flush_recordset()
        # the oldest waiting delivery was committed ten minutes ago
        old = fields.Datetime.now() - timedelta(minutes=10)
        self.env.cr.execute(
            "UPDATE test_mfg_outbox_delivery SET create_date = %s WHERE id = %s",
            [old, deliveries[2].id],
        )
        text = self.telemetry._render_metrics().decode()
        labels = {
            "subscriber": "Gauge sink",
            "sink": self.sink._sink_kind(),
            "company": str(self.sink.company_id.id),
        }
        self.assertEqual(exposed(text, "mfg_outbox_backlog", **labels), 3)  # 2 pending, 1 retrying
        self.assertEqual(exposed(text, "mfg_outbox_dead_deliveries", **labels), 1)
        self.assertEqual(exposed(text, "mfg_outbox_sla_seconds", **labels), 120)
        self.assertEqual(exposed(text, "mfg_circuit_open", **labels), 1)
        age = exposed(text, "mfg_outbox_oldest_pending_age_seconds", **labels)
        self.assertGreaterEqual(age, 600)
        self.assertLess(age, 24 * 3600)

    def test_queue_job_gauge(self):
        channel = "root.mfg_metrics_test"
        for _i in range(2):
            self.partner.with_delay(channel=channel).exists()
        text = self.telemetry._render_metrics().decode()
        company = str(self.env.company.id)
        self.assertEqual(
            exposed(text, "mfg_queue_jobs", channel=channel, state="pending", company=company), 2
        )

    def test_a_failing_gauge_leaves_the_scrape_answered(self):
        self._deliveries(1)
        before = sample("mfg_scrape_errors_total", family="mfg_outbox_backlog")

        def broken(self):
            self.env.cr.execute("SELECT no_such_column FROM test_mfg_outbox_delivery")

        with (
            patch.object(type(self.telemetry), "_outbox_figures", broken),
            self.assertLogs("odoo.addons.mfg_integration_observability", "ERROR"),
        ):
            text = self.telemetry._render_metrics().decode()
        labels = {
            "subscriber": "Gauge sink",
            "sink": self.sink._sink_kind(),
            "company": str(self.sink.company_id.id),
        }
        self.assertIsNone(exposed(text, "mfg_outbox_backlog", **labels))
        self.assertIn("# TYPE mfg_queue_jobs gauge", text)
        self.assertEqual(sample("mfg_scrape_errors_total", family="mfg_outbox_backlog"), before + 1)
        # the transaction is still usable after the failed gauge
        self.assertTrue(self.sink.exists())
