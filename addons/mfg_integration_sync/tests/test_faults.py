import json

from odoo import fields

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SyncCase, stock_row

ROWS = [
    stock_row("BOLT", "A", 40, 1),
    stock_row("BOLT", "B", 5, 2),
    stock_row("NUT", "A", 7, 3),
    stock_row("NUT", "B", 12, 4),
]


class TestFaults(SyncCase):
    def test_a_5xx_and_retry_after_are_tried_again(self):
        self.fake.upsert(ROWS)
        self.fake.set_faults({"fail": 1, "retry_after": 1})
        self.job.retry_backoff = 0.01  # Retry-After (1 s) is capped at ten times this
        run = self.run_sync()
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual((run.page_count, run.read_count, run.created_count), (2, 4, 4))
        # the first page was asked three times (500, 503, then the page)
        self.assertEqual([r["after_id"] for r in self.fake.requests], [0, 0, 0, 2])

    def test_a_system_that_keeps_failing_stops_the_run_at_its_cursor(self):
        self.fake.upsert(ROWS)
        # the first page passes, then the WMS answers 500 for good
        run = self.job._start_run()
        original = self.fake.answer_stock

        def failing_after_first(query):
            if self.fake.requests:
                self.fake.requests.append({"after_id": int(query["after_id"][0])})
                return 500, {}, b'{"error": "down"}'
            return original(query)

        self.fake.answer_stock = failing_after_first
        run._process()
        self.assertEqual(run.state, "failed")
        self.assertIn("page at cursor 2026-03-01T08:02:00Z #2", run.error)
        self.assertIn("the system answered 500 (3 attempts)", run.error)
        self.assertEqual((run.page_count, run.read_count), (1, 2))
        self.assertEqual(self.job.cursor_after_id, 2, "the committed page stays committed")
        self.assertEqual(self.on_hand(self.nut, self.bin_a), 0, "nothing of the failed page")
        exception = self.exceptions("sync_failed")
        self.assertEqual(exception.source_ref, run)
        self.assertIn("page at cursor", exception.name)
        # once the WMS is back, the run resumes from its cursor
        self.fake.answer_stock = original
        with trap_jobs() as trap:
            run.action_resume()
            trap.assert_jobs_count(1, only=run._process)
            trap.perform_enqueued_jobs()
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual((run.page_count, run.read_count, run.created_count), (2, 4, 4))
        self.assertEqual(self.on_hand(self.nut, self.bin_b), 12)

    def test_a_timeout_is_an_error_after_the_retries(self):
        self.fake.upsert(ROWS)
        self.job.max_retries = 1
        self.fake.set_faults({"timeout": 2})
        run = self.run_sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("no answer within 1.0 s (2 attempts)", run.error)
        self.assertEqual((run.page_count, self.job.cursor_after_id), (0, 0))

    def test_a_malformed_page_applies_nothing(self):
        self.fake.upsert(ROWS)
        self.fake.set_faults({"malformed": 1})
        run = self.run_sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("page at cursor - #0 is not JSON", run.error)
        self.assertEqual(run.read_count, 0)
        self.assertFalse(self.env["stock.quant"].search([("product_id", "=", self.bolt.id)]))

    def test_a_page_that_repeats_its_cursor_applies_nothing(self):
        self.fake.upsert(ROWS)
        self.assertEqual(self.run_sync().state, "done")
        self.fake.upsert([stock_row("BOLT", "A", 41, 20), stock_row("NUT", "A", 8, 21)])
        self.fake.upsert([stock_row("NUT", "B", 13, 22)])
        self.fake.set_faults({"repeat_cursor": 1})
        run = self.run_sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("does not move past it", run.error)
        self.assertEqual((run.page_count, run.read_count), (0, 0))
        self.assertEqual(self.on_hand(self.bolt, self.bin_a), 40, "the page is not applied")

    def test_a_refused_record_is_listed_and_the_run_goes_on(self):
        self.fake.upsert(
            [
                stock_row("BOLT", "A", 40, 1),
                stock_row("GHOST", "A", 3, 2),  # no cross-reference
                stock_row("NUT", "A", -2, 3),  # a negative count
            ]
        )
        run = self.run_sync()
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual((run.read_count, run.created_count, run.refused_count), (3, 1, 2))
        ghost, negative = run.issue_ids.sorted("id")
        self.assertEqual((ghost.kind, ghost.key), ("refused", "GHOST|A|"))
        self.assertIn("GHOST", ghost.detail)
        self.assertEqual(json.loads(ghost.problem)["errors"][0]["pointer"], "/movements/1/product")
        self.assertIn("/quantity", negative.detail)
        # the unmapped product is an exception for a consultant, as for a real-time message
        self.assertTrue(self.exceptions("unknown_reference"))
        logs = self.env["mfg.integration.message.log"].search([("route", "=", "SYNC WMS stock")])
        self.assertEqual(sorted(logs.mapped("status")), ["rejected", "rejected", "success"])

    def test_a_refused_record_stops_the_page_when_configured(self):
        self.job.stop_on_record_error = True
        self.fake.upsert(
            [
                stock_row("BOLT", "A", 40, 1),
                stock_row("BOLT", "B", 5, 2),
                stock_row("GHOST", "A", 3, 3),
            ]
        )
        run = self.run_sync()
        self.assertEqual(run.state, "failed")
        self.assertIn(
            "record 0 of the page at cursor 2026-03-01T08:02:00Z #2 was refused", run.error
        )
        self.assertEqual((run.page_count, self.job.cursor_after_id), (1, 2))
        self.assertEqual(run.issue_ids.key, "GHOST|A|", "the refusal stays listed")
        self.assertEqual(self.on_hand(self.bolt, self.bin_a), 40, "the first page is committed")

    def test_the_scheduler_starts_due_jobs_and_resumes_stalled_runs(self):
        self.fake.upsert(ROWS)
        now = fields.Datetime.now()
        self.job.write({"next_run_at": now, "interval_type": "hours", "interval_number": 6})
        with trap_jobs() as trap:
            self.env["mfg.integration.sync.job"]._cron_run_due()
            trap.assert_jobs_count(1)
        run = self.job.last_run_id
        self.assertEqual(run.state, "queued")
        self.assertGreater(self.job.next_run_at, now)
        # a run whose worker died: running, nothing committed since long
        run.write(
            {
                "state": "running",
                "started_at": fields.Datetime.subtract(now, hours=1),
                "heartbeat_at": fields.Datetime.subtract(now, hours=1),
            }
        )
        with trap_jobs() as trap:
            self.env["mfg.integration.sync.job"]._cron_run_due()
            trap.assert_jobs_count(1, only=run._process)
            trap.perform_enqueued_jobs()
        self.assertEqual((run.state, run.resume_count, run.read_count), ("done", 1, 4))
        # a run whose job failed (an error, not a crash) is not resumed: it failed
        broken = self.job._start_run()
        broken.write({"state": "running", "heartbeat_at": fields.Datetime.subtract(now, hours=1)})
        broken.queue_job_id.write({"state": "failed", "exc_message": "ZeroDivisionError: boom"})
        with trap_jobs() as trap:
            self.env["mfg.integration.sync.run"]._resume_stalled()
            trap.assert_jobs_count(0)
        self.assertEqual(broken.state, "failed")
        self.assertIn("its job failed: ZeroDivisionError: boom", broken.error)
        # a run that committed a page just now is left to its worker
        fresh = self.job._start_run()
        fresh.write({"state": "running", "heartbeat_at": fields.Datetime.now()})
        with trap_jobs() as trap:
            self.env["mfg.integration.sync.run"]._resume_stalled()
            trap.assert_jobs_count(0)
