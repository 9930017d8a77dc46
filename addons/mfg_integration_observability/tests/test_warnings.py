import random
from datetime import datetime, timedelta

from .health_common import HealthCase

# the hour judged: the last complete hour before NOW
NOW = datetime(2026, 6, 15, 10, 20)
JUDGED = datetime(2026, 6, 15, 9, 0)


class TestAnomalies(HealthCase):
    def series(self, system, past, current, days=14):
        """Hourly rows of `system`: the judged hour's `current` (messages,
        errors) and the same hour of `days` past days from `past(day)`."""
        rows = [(JUDGED, *current)] + [
            (JUDGED - timedelta(days=day), *past(day)) for day in range(1, days + 1)
        ]
        self.Stat.create(
            [
                {
                    "hour": hour,
                    "scope": "system",
                    "direction": "inbound",
                    "system_id": system.id,
                    "company_id": system.company_id.id,
                    "message_count": messages,
                    "error_count": errors,
                }
                for hour, messages, errors in rows
            ]
        )

    def anomalies(self, system):
        return self.env["mfg.integration.anomaly"].search(
            [("system_id", "=", system.id), ("state", "=", "open")]
        )

    def normal_day(self, day):
        # a plant's ordinary variation around 100 messages and 2 errors an hour
        noise = random.Random(day)
        return 100 + noise.randint(-12, 12), noise.randint(0, 4)

    def test_a_burst_is_found_with_the_figures_that_make_it_one(self):
        self.series(self.system, self.normal_day, current=(400, 3))
        self.env["mfg.integration.anomaly"]._detect(now=NOW)
        anomaly = self.anomalies(self.system)
        self.assertEqual(anomaly.metric, "volume")
        self.assertEqual(anomaly.observed, 400)
        self.assertEqual(anomaly.baseline_days, 14)
        self.assertGreater(anomaly.score, 3.5)
        self.assertIn("400 messages", anomaly.reason)
        self.assertIn(f"median {anomaly.baseline_median:g}", anomaly.reason.replace(".0,", ","))
        if "mfg.integration.exception" in self.env:
            exception = self.env["mfg.integration.exception"].search(
                [("source_model", "=", anomaly._name), ("source_id", "=", anomaly.id)]
            )
            self.assertEqual(exception.category, "anomaly")
            self.assertEqual(exception.system_id, self.system)
            self.assertIn("Robust z-score", exception.detail)

    def test_ordinary_variation_is_not_an_anomaly(self):
        self.series(self.system, self.normal_day, current=(118, 4))
        self.env["mfg.integration.anomaly"]._detect(now=NOW)
        self.assertFalse(self.anomalies(self.system))

    def test_an_error_burst_is_found_and_closes_itself_when_it_passes(self):
        self.series(self.system, self.normal_day, current=(104, 35))
        Anomaly = self.env["mfg.integration.anomaly"]
        Anomaly._detect(now=NOW)
        anomaly = self.anomalies(self.system)
        self.assertEqual(anomaly.metric, "error_rate")
        self.assertIn("35 of 104 messages failed", anomaly.reason)
        # the next hour is ordinary again
        self.Stat.create(
            {
                "hour": JUDGED + timedelta(hours=1),
                "scope": "system",
                "direction": "inbound",
                "system_id": self.system.id,
                "company_id": self.system.company_id.id,
                "message_count": 101,
                "error_count": 2,
            }
        )
        for day in range(1, 15):
            self.Stat.create(
                {
                    "hour": JUDGED + timedelta(hours=1) - timedelta(days=day),
                    "scope": "system",
                    "system_id": self.system.id,
                    "company_id": self.system.company_id.id,
                    "message_count": self.normal_day(day + 100)[0],
                    "error_count": self.normal_day(day + 100)[1],
                }
            )
        Anomaly._detect(now=NOW + timedelta(hours=1))
        self.assertEqual(anomaly.state, "closed")
        if "mfg.integration.exception" in self.env:
            exception = self.env["mfg.integration.exception"].search(
                [("source_model", "=", anomaly._name), ("source_id", "=", anomaly.id)]
            )
            self.assertEqual(exception.state, "resolved", "it passed: nobody has to close it")

    def test_a_new_system_is_never_judged(self):
        newcomer = self.env["mfg.integration.system"].create({"code": "HLT-NEW", "name": "New"})
        self.series(newcomer, self.normal_day, current=(900, 400), days=3)
        self.env["mfg.integration.anomaly"]._detect(now=NOW)
        self.assertFalse(self.anomalies(newcomer))

    def test_a_system_that_falls_silent_is_found(self):
        self.series(self.system, self.normal_day, current=(0, 0))
        self.env["mfg.integration.anomaly"]._detect(now=NOW)
        anomaly = self.anomalies(self.system)
        self.assertEqual((anomaly.metric, anomaly.observed), ("volume", 0))
        self.assertIn("fewer", anomaly.name)

    def test_unknown_callers_are_judged_under_their_own_name(self):
        company = self.env.company
        rows = [(JUDGED, 300, 300)] + [
            (JUDGED - timedelta(days=day), 10 + day % 3, 10 + day % 3) for day in range(1, 15)
        ]
        self.Stat.create(
            [
                {
                    "hour": hour,
                    "scope": "unknown_caller",
                    "direction": "inbound",
                    "company_id": company.id,
                    "message_count": messages,
                    "error_count": errors,
                }
                for hour, messages, errors in rows
            ]
        )
        anomaly = self.env["mfg.integration.anomaly"]._detect(now=NOW)
        self.assertEqual(
            [(found.scope, found.metric) for found in anomaly], [("unknown_caller", "volume")]
        )
        self.assertTrue(
            anomaly.name.startswith("Refused: unknown caller: 300 messages"), anomaly.name
        )

    def test_a_subscriber_is_judged_against_its_own_baseline(self):
        sink = self.make_sink()
        rows = [(JUDGED, 30, 25)] + [
            (JUDGED - timedelta(days=day), 30 + day % 3, day % 2) for day in range(1, 15)
        ]
        self.Stat.create(
            [
                {
                    "hour": hour,
                    "scope": "subscriber",
                    "subscriber_model": sink._name,
                    "subscriber_id": sink.id,
                    "system_id": self.system.id,
                    "company_id": sink.company_id.id,
                    "message_count": messages,
                    "error_count": errors,
                }
                for hour, messages, errors in rows
            ]
        )
        self.env["mfg.integration.anomaly"]._detect(now=NOW)
        anomaly = self.env["mfg.integration.anomaly"].search(
            [("subscriber_model", "=", sink._name), ("subscriber_id", "=", sink.id)]
        )
        self.assertEqual((anomaly.scope, anomaly.metric), ("subscriber", "error_rate"))
        self.assertIn("Health receiver", anomaly.name)
        self.assertIn("25 of 30 messages failed", anomaly.reason)


class TestCongestion(HealthCase):
    def forecast_of(self, sink):
        return self.env["mfg.integration.congestion"].search(
            [("subscriber_model", "=", sink._name), ("subscriber_id", "=", sink.id)]
        )

    def test_a_growing_backlog_warns_before_the_sla_is_missed(self):
        sink = self.make_sink(delivery_sla_seconds=300)
        # 12 arrived over the last 3 minutes, the receiver took none: retrying
        self.deliveries(sink, 12, self.now - timedelta(minutes=3), state="retrying", attempts=2)
        Congestion = self.env["mfg.integration.congestion"]
        Congestion._forecast_all(now=self.now)
        forecast = self.forecast_of(sink)
        self.assertEqual((forecast.trend, forecast.backlog, forecast.breach), ("growing", 12, True))
        self.assertEqual(forecast.forecast_label, "growing")
        self.assertAlmostEqual(forecast.arrival_per_minute, 12 / 5)
        self.assertEqual(forecast.service_per_minute, 0)
        self.assertIn("12 arrived (2.4/min) and 0 left (0.0/min)", forecast.reason)
        self.assertIn("SLA 300 s", forecast.reason)
        self.assertIn("growing", sink.congestion_forecast)
        self.assertTrue(sink.congestion_breach)
        if "mfg.integration.exception" in self.env:
            exception = self.env["mfg.integration.exception"].search(
                [("source_model", "=", forecast._name), ("source_id", "=", forecast.id)]
            )
            self.assertEqual(exception.category, "congestion")
            self.assertEqual(exception.state, "new")
            # the receiver is back and the backlog is gone: the warning settles
            Delivery = self.env[sink._delivery_model]
            Delivery.search([("sink_id", "=", sink.id)]).write({"state": "delivered"})
            Congestion._forecast_all(now=self.now)
            self.assertFalse(forecast.breach)
            self.assertEqual(forecast.trend, "clear")
            self.assertEqual(exception.state, "resolved")
        # the subscriber's form shows the forecast
        arch = self.env[sink._name].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("congestion_forecast", arch)

    def test_a_draining_backlog_says_when_and_does_not_warn(self):
        sink = self.make_sink(delivery_sla_seconds=300)
        window_start = self.now - timedelta(minutes=4)
        # 50 left during the window and 15 came in: 10 waiting drain at 7 a minute
        self.deliveries(
            sink,
            45,
            window_start - timedelta(minutes=2),
            state="delivered",
            attempts=1,
            written=self.now - timedelta(minutes=1),
            latency_s=60,
        )
        self.deliveries(
            sink,
            5,
            window_start,
            state="delivered",
            attempts=1,
            written=self.now - timedelta(seconds=30),
            latency_s=5,
        )
        self.deliveries(sink, 10, self.now - timedelta(minutes=2), state="pending")
        self.env["mfg.integration.congestion"]._forecast_all(now=self.now)
        forecast = self.forecast_of(sink)
        self.assertEqual(
            (forecast.trend, forecast.backlog, forecast.breach), ("draining", 10, False)
        )
        self.assertAlmostEqual(forecast.drain_minutes, 10 / (50 / 5 - 15 / 5), places=1)
        self.assertEqual(forecast.forecast_label, "drains in about 2 minutes")
        self.assertIn("within it", forecast.reason)

    def test_a_backlog_that_just_arrived_is_not_yet_a_warning(self):
        sink = self.make_sink(delivery_sla_seconds=300)
        self.deliveries(sink, 4, self.now - timedelta(seconds=20), state="pending")
        self.env["mfg.integration.congestion"]._forecast_all(now=self.now)
        forecast = self.forecast_of(sink)
        self.assertEqual((forecast.trend, forecast.breach), ("growing", False))

    def test_a_job_channel_is_named_by_what_its_jobs_do(self):
        channel = "root.mfg_health_test"
        partner = self.env["res.partner"].create({"name": "Waiting thing"})
        for _index in range(3):
            partner.with_delay(channel=channel, description="Check the waiting thing").exists()
        self.env["mfg.integration.congestion"]._forecast_all(now=self.now)
        forecast = self.env["mfg.integration.congestion"].search([("channel", "=", channel)])
        # the description of the model the jobs run on, as Odoo names it
        described = self.env["ir.model"]._get("res.partner").name
        self.assertEqual((forecast.name, forecast.backlog), (described, 3))
        self.assertIn(f"Job channel {channel}.", forecast.reason)
        self.assertIn("The oldest waiting job: Check the waiting thing.", forecast.reason)
        warning = next(
            warning
            for warning in self.env["mfg.integration.health"]._warnings()
            if warning["key"] == f"congestion-{forecast.id}"
        )
        self.assertEqual(warning["summary"], f"{described}: growing")
        row = next(
            row
            for row in self.env["mfg.integration.health"]._channel_figures()
            if row["id"] == forecast.id
        )
        self.assertEqual((row["name"], row["channel"]), (described, channel))

    def test_job_channels_get_a_forecast_and_open_their_jobs(self):
        self.env["mfg.integration.congestion"]._forecast_all(now=self.now)
        self.env["queue.job"].flush_model()
        self.env.cr.execute(
            "SELECT count(*) FROM queue_job "
            "WHERE state IN ('pending', 'enqueued', 'wait_dependencies')"
        )
        waiting = self.env.cr.fetchone()[0]
        channels = self.env["mfg.integration.congestion"].search([("kind", "=", "channel")])
        self.assertEqual(sum(channels.mapped("backlog")), waiting)
        for channel in channels:
            action = channel.action_open_backlog()
            self.assertEqual(self.env["queue.job"].search_count(action["domain"]), channel.backlog)
