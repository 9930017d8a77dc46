from datetime import timedelta

from .health_common import HealthCase


class TestRollUp(HealthCase):
    def stat(self, hour, **domain):
        return self.Stat.search(
            [("hour", "=", hour), ("system_id", "=", self.system.id)]
            + [(key, "=", value) for key, value in domain.items()]
        )

    def test_hours_are_rolled_up_and_a_late_row_folds_into_its_hour(self):
        three_hours_ago = self.hour - timedelta(hours=3)
        at = three_hours_ago + timedelta(minutes=10)
        for latency in (10, 20, 30, 40):
            self.log(at, latency_ms=latency)
        self.log(at, status="failed", latency_ms=900)
        self.log(at, status="rejected", latency_ms=5, attempt=2)
        self.Stat._roll_up()
        row = self.stat(three_hours_ago, scope="system", direction="inbound")
        self.assertEqual(len(row), 1)
        self.assertEqual(
            (row.message_count, row.error_count, row.retry_count, row.delivered_count),
            (6, 2, 1, 4),
        )
        self.assertEqual(row.latency_p95_ms, 900, "percentile_disc: the 6th of 6 values")
        self.assertEqual(sum(row.latency_buckets), 6)

        # a row written now that belongs to that hour (a long transaction, a
        # backfill) is folded into it by the next run, not counted twice
        self.log(at + timedelta(minutes=30), status="failed", latency_ms=50)
        done = self.Stat._roll_up()
        self.assertIn(three_hours_ago, done["system"])
        row = self.stat(three_hours_ago, scope="system", direction="inbound")
        self.assertEqual(len(row), 1)
        self.assertEqual((row.message_count, row.error_count), (7, 3))

        # a run with nothing new recomputes only the current and the last hour
        done = self.Stat._roll_up()
        self.assertNotIn(three_hours_ago, done["system"])
        self.assertEqual(self.stat(three_hours_ago, scope="system").message_count, 7)

    def test_a_systems_rows_count_what_it_sent_and_unknown_callers_have_their_own(self):
        sink = self.make_sink(name="Analytics", system_id=False)
        self.deliveries(sink, 3, self.now)
        self.assertEqual(sink._drain(), "3 sent, 3 delivered")
        at = self.hour + timedelta(seconds=1)
        self.log(at)
        self.log(at, status="rejected", system=False, http_status=401)
        self.log(at, status="rejected", system=False, http_status=401)
        self.log(at, system=False, http_status=200)  # a client without a system
        self.Stat._roll_up()
        rows = self.Stat.search([("hour", "=", self.hour), ("scope", "!=", "subscriber")])
        # the drain's outbound attempts (no system, as a broker sink's publishes)
        # are counted for the subscriber alone
        self.assertEqual(
            sorted((row.scope, row.system_id.code or "", row.message_count) for row in rows),
            [("system", "", 1), ("system", "HLT-MES", 1), ("unknown_caller", "", 2)],
        )
        self.assertEqual(set(rows.mapped("direction")), {"inbound"})
        self.assertEqual(rows.filtered(lambda row: row.scope == "unknown_caller").error_count, 2)
        subscriber = self.Stat.search(
            [
                ("scope", "=", "subscriber"),
                ("subscriber_id", "=", sink.id),
                ("hour", "=", self.hour),
            ]
        )
        self.assertEqual((subscriber.message_count, subscriber.delivered_count), (3, 3))

    def test_hours_past_the_raw_log_retention_are_left_as_they_are(self):
        old = self.hour - timedelta(days=45)
        self.log(old + timedelta(minutes=5))
        self.Stat._roll_up()
        self.assertFalse(self.stat(old), "its raw rows may be purged: never recomputed")

    def test_deliveries_roll_up_per_subscriber_and_change_with_their_state(self):
        sink = self.make_sink()
        hour = self.hour - timedelta(hours=2)
        created = hour + timedelta(minutes=1)
        self.deliveries(sink, 3, created, state="delivered", attempts=1, latency_s=2)
        self.deliveries(sink, 1, created, state="delivered", attempts=3, latency_s=40)
        waiting = self.deliveries(sink, 2, created, state="retrying", attempts=2)
        self.Stat._roll_up()
        row = self.Stat.search(
            [
                ("scope", "=", "subscriber"),
                ("subscriber_model", "=", sink._name),
                ("subscriber_id", "=", sink.id),
                ("hour", "=", hour),
            ]
        )
        self.assertEqual(
            (
                row.message_count,
                row.delivered_count,
                row.error_count,
                row.retry_count,
                row.dead_count,
            ),
            (6, 4, 3, 4, 0),
        )
        self.assertEqual(row.system_id, self.system)
        self.assertEqual(row.latency_p95_ms, 40000, "commit to receipt, of the delivered ones")

        # the two retrying ones die later: their hour is recomputed
        waiting.write({"state": "dead", "attempts": 8})
        self.Stat._roll_up()
        row.invalidate_recordset()
        row = self.Stat.search(
            [
                ("scope", "=", "subscriber"),
                ("subscriber_id", "=", sink.id),
                ("hour", "=", hour),
                ("subscriber_model", "=", sink._name),
            ]
        )
        self.assertEqual((row.message_count, row.dead_count, row.retry_count), (6, 2, 16))
