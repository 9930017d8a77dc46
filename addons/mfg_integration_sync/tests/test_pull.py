import json

from odoo.tests import new_test_user

from .common import SyncCase, stock_row


class TestPull(SyncCase):
    def test_pages_run_through_the_inventory_command(self):
        self.env["stock.quant"]._update_available_quantity(self.nut, self.bin_a, 7)
        self.fake.upsert(
            [
                stock_row("BOLT", "A", 40, 1),
                stock_row("BOLT", "B", 5, 2),
                stock_row("NUT", "A", 7, 3),  # Odoo has 7 already
                stock_row("NUT", "B", 12, 4),
                stock_row("RESIN", "A", 3, 5, lot="L-77"),
            ]
        )
        run = self.run_sync()
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual(
            self.counts(run),
            {
                "page": 3,
                "read": 5,
                "created": 4,
                "updated": 0,
                "unchanged": 1,
                "refused": 0,
                "conflict": 0,
            },
        )
        self.assertEqual(self.on_hand(self.bolt, self.bin_a), 40)
        self.assertEqual(self.on_hand(self.bolt, self.bin_b), 5)
        self.assertEqual(self.on_hand(self.nut, self.bin_b), 12)
        lot = self.env["stock.lot"].search(
            [("name", "=", "L-77"), ("product_id", "=", self.resin.id)]
        )
        self.assertEqual(self.on_hand(self.resin, self.bin_a, lot), 3)
        # the cursor is the last record's time and id
        self.assertEqual(
            (self.job.cursor_updated_since, self.job.cursor_after_id), ("2026-03-01T08:05:00Z", 5)
        )
        self.assertEqual(run.cursor_before, "- #0")
        self.assertEqual(run.cursor_after, "2026-03-01T08:05:00Z #5")
        # each record is a message of the log, like a real-time one
        logs = self.env["mfg.integration.message.log"].search([("route", "=", "SYNC WMS stock")])
        self.assertEqual(len(logs), 5)
        self.assertEqual(set(logs.mapped("status")), {"success"})
        # three pages asked, each with the cursor of the page before
        self.assertEqual(
            [(r["updated_since"], r["after_id"]) for r in self.fake.requests],
            [
                ("1970-01-01T00:00:00Z", 0),
                ("2026-03-01T08:02:00Z", 2),
                ("2026-03-01T08:04:00Z", 4),
            ],
        )

        # the next run reads only what changed since
        self.fake.upsert([stock_row("BOLT", "A", 38, 10)])
        again = self.run_sync()
        self.assertEqual(again.state, "done", again.error)
        self.assertEqual(
            self.counts(again),
            {
                "page": 1,
                "read": 1,
                "created": 0,
                "updated": 1,
                "unchanged": 0,
                "refused": 0,
                "conflict": 0,
            },
        )
        self.assertEqual(self.on_hand(self.bolt, self.bin_a), 38)
        self.assertEqual(self.job.last_run_id, again)

    def test_an_older_change_is_refused_and_counted(self):
        self.fake.upsert([stock_row("BOLT", "A", 40, 20)])
        self.assertEqual(self.run_sync().state, "done")
        # the WMS restores an old row (older than what Odoo took), and a full resync reads it
        self.fake.upsert([stock_row("BOLT", "A", 25, 10), stock_row("NUT", "A", 4, 11)])
        self.job.action_reset_cursor()
        run = self.run_sync()
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual((run.read_count, run.refused_count, run.created_count), (2, 1, 1))
        self.assertEqual(self.on_hand(self.bolt, self.bin_a), 40, "the newer change stands")
        issue = run.issue_ids
        self.assertEqual((issue.kind, issue.key), ("refused", "BOLT|A|"))
        self.assertIn("Older than the change applied last", issue.detail)
        self.assertEqual(json.loads(issue.payload)["quantity"], 25)

    def test_changed_on_both_sides_is_a_conflict_a_person_decides(self):
        self.fake.upsert([stock_row("BOLT", "A", 40, 1), stock_row("NUT", "A", 9, 2)])
        self.assertEqual(self.run_sync().state, "done")
        # Odoo moves stock, and the WMS counts something else meanwhile
        self.env["stock.quant"]._update_available_quantity(self.bolt, self.bin_a, -6)
        self.fake.upsert([stock_row("BOLT", "A", 31, 30), stock_row("NUT", "A", 11, 31)])
        run = self.run_sync()
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual((run.read_count, run.conflict_count, run.updated_count), (2, 1, 1))
        self.assertEqual(self.on_hand(self.bolt, self.bin_a), 34, "Odoo's value is kept for now")
        self.assertEqual(self.on_hand(self.nut, self.bin_a), 11)
        conflict = run.issue_ids
        self.assertEqual((conflict.kind, conflict.state), ("conflict", "open"))
        self.assertIn("Odoo has 34.0", conflict.detail)
        self.assertIn("WMS-SYNC says 31", conflict.detail)
        exception = self.exceptions("sync_conflict")
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.system_id, self.wms)
        self.assertEqual(exception.source_ref, conflict)
        # the planner takes the WMS's value from the exception app
        exception.action_retry()
        self.assertEqual(conflict.state, "applied")
        self.assertEqual(self.on_hand(self.bolt, self.bin_a), 31)
        self.assertEqual(exception.state, "resolved")
        # what was applied is the new reference: the same row again changes nothing
        self.job.action_reset_cursor()
        rerun = self.run_sync()
        self.assertEqual((rerun.read_count, rerun.unchanged_count), (2, 2))

    def test_a_kept_odoo_value_closes_the_conflict(self):
        self.fake.upsert([stock_row("BOLT", "A", 40, 1)])
        self.run_sync()
        self.env["stock.quant"]._update_available_quantity(self.bolt, self.bin_a, 2)
        self.fake.upsert([stock_row("BOLT", "A", 39, 30)])
        conflict = self.run_sync().issue_ids
        conflict.action_dismiss()
        self.assertEqual(conflict.state, "dismissed")
        self.assertEqual(self.on_hand(self.bolt, self.bin_a), 42)
        self.assertEqual(self.exceptions("sync_conflict").state, "resolved")

    def test_another_company_sees_none_of_it(self):
        self.fake.upsert([stock_row("BOLT", "A", 40, 1), stock_row("GHOST", "A", 1, 2)])
        run = self.run_sync()
        recon = self.env["mfg.integration.recon"]._reconcile(self.job)
        other = self.env["res.company"].create({"name": "Other plant"})
        outsider = new_test_user(
            self.env,
            login="sync_outsider",
            groups="base.group_user,mfg_integration_core.group_integration_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        for model, record in (
            ("mfg.integration.sync.job", self.job),
            ("mfg.integration.sync.run", run),
            ("mfg.integration.sync.issue", run.issue_ids),
            ("mfg.integration.sync.state", self.env["mfg.integration.sync.state"].search([])),
            ("mfg.integration.recon", recon),
            ("mfg.integration.recon.line", recon.line_ids),
        ):
            self.assertTrue(record, model)
            self.assertFalse(
                self.env[model].with_user(outsider).search([("id", "in", record.ids)]), model
            )
