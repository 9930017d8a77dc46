from odoo import fields
from odoo.exceptions import UserError

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SyncCase, stock_row


class TestReconciliation(SyncCase):
    # records of the system (the extract reads its empty bin too) and of Odoo
    side_counts = (6, 4)

    def setUp(self):
        super().setUp()
        port = self.job.endpoint_url.split(":")[2].split("/")[0]
        self.job.push_url = f"http://127.0.0.1:{port}/stock"
        self.job.recon_threshold = 2
        Quant = self.env["stock.quant"]
        self.lot = self.env["stock.lot"].create({"name": "L-9", "product_id": self.resin.id})
        # Odoo's side
        Quant._update_available_quantity(self.bolt, self.bin_a, 40)  # agrees
        Quant._update_available_quantity(self.bolt, self.bin_b, 5)  # differs: WMS 7
        Quant._update_available_quantity(self.nut, self.bin_a, 12)  # missing in the WMS
        Quant._update_available_quantity(self.resin, self.bin_a, 3, lot_id=self.lot)  # agrees
        # the WMS's side
        self.fake.upsert(
            [
                stock_row("BOLT", "A", 40, 1),
                stock_row("BOLT", "B", 7, 2),
                stock_row("NUT", "B", 9, 3),  # missing in Odoo
                stock_row("RESIN", "A", 3, 4, lot="L-9"),
                stock_row("NUT", "A", 0, 5),  # an empty bin: nothing to compare
                stock_row("GHOST", "A", 1, 6),  # a product Odoo does not know
            ]
        )

    def lines(self, recon):
        return {
            (line.kind, line.product_code, line.location_code, line.lot or "", line.field): (
                line.odoo_value,
                line.system_value,
            )
            for line in recon.line_ids
        }

    def test_finds_exactly_the_planted_differences_and_its_actions_fix_them(self):
        self.job.page_size = 4  # the extract comes in two pages
        recon = self.env["mfg.integration.recon"]._reconcile(self.job)
        self.assertEqual(recon.state, "done", recon.error)
        self.assertEqual(
            self.lines(recon),
            {
                ("different", "BOLT", "B", "", "quantity"): (5, 7),
                ("missing_in_odoo", "NUT", "B", "", "quantity"): (0, 9),
                ("missing_in_system", "NUT", "A", "", "quantity"): (12, 0),
                ("missing_in_odoo", "GHOST", "A", "", "quantity"): (0, 1),
            },
        )
        self.assertEqual((recon.system_count, recon.odoo_count), self.side_counts)
        self.assertEqual(
            (recon.missing_in_odoo_count, recon.missing_in_system_count, recon.different_count),
            (2, 1, 1),
        )
        ghost = recon.line_ids.filtered(lambda line: line.product_code == "GHOST")
        self.assertFalse(ghost.product_id, "its product has no cross-reference")
        # the staging rows are gone
        self.env.cr.execute("SELECT count(*) FROM mfg_integration_recon_extract")
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        # more differences than the threshold: an exception with the report
        exception = self.exceptions("recon_differences")
        self.assertEqual(exception.source_ref, recon)
        self.assertIn("4 differences with WMS-SYNC (threshold 2)", exception.name)
        self.assertIn("different: BOLT|B| quantity: Odoo 5.0, system 7.0", exception.detail)

        by_key = {(line.product_code, line.location_code): line for line in recon.line_ids}
        # the WMS is right about BOLT in B and NUT in B: pull them
        by_key["BOLT", "B"].action_pull()
        by_key["NUT", "B"].action_pull()
        self.assertEqual(self.on_hand(self.bolt, self.bin_b), 7)
        self.assertEqual(self.on_hand(self.nut, self.bin_b), 9)
        # Odoo is right about NUT in A: re-send it to the WMS
        by_key["NUT", "A"].action_resend()
        wms_rows = {(row["product"], row["location"]): row for row in self.fake.rows.values()}
        self.assertEqual(wms_rows["NUT", "A"]["quantity"], 12)
        # the unknown product needs a reason to be explained
        with self.assertRaisesRegex(UserError, "Say why"):
            by_key["GHOST", "A"].action_explain()
        by_key["GHOST", "A"].reason = "Sample stock of the WMS vendor, not ours"
        by_key["GHOST", "A"].action_explain()
        self.assertEqual(
            sorted((line.state, line.fix) for line in recon.line_ids),
            [
                ("explained", "explained"),
                ("fixed", "pulled"),
                ("fixed", "pulled"),
                ("fixed", "resent"),
            ],
        )
        self.assertEqual(set(recon.line_ids.mapped("fixed_by_id")), {self.env.user})
        self.assertEqual(exception.state, "resolved", "every line settled")
        audit = recon.message_ids.mapped("body")
        self.assertTrue(any("Pulled from the system" in body for body in audit))
        self.assertTrue(any("Sample stock of the WMS vendor" in body for body in audit))

        # a re-run finds only the explained difference
        again = self.env["mfg.integration.recon"]._reconcile(self.job)
        self.assertEqual(
            list(self.lines(again)), [("missing_in_odoo", "GHOST", "A", "", "quantity")]
        )

    def test_the_scheduler_reconciles_when_due(self):
        now = fields.Datetime.now()
        self.job.recon_next_run_at = now
        with trap_jobs() as trap:
            self.env["mfg.integration.sync.job"]._cron_run_due()
            trap.assert_jobs_count(1, only=self.job._reconcile_job)
            trap.perform_enqueued_jobs()
        self.assertEqual(self.job.last_recon_id.state, "done")
        self.assertEqual(len(self.job.last_recon_id.line_ids), 4)
        self.assertEqual(self.job.last_recon_open, 4)
        self.assertEqual(self.job.recon_next_run_at, fields.Datetime.add(now, days=1))

    def test_an_unreadable_extract_fails_the_reconciliation_clearly(self):
        self.fake.set_faults({"malformed": 1})
        recon = self.env["mfg.integration.recon"]._reconcile(self.job)
        self.assertEqual(recon.state, "failed")
        self.assertIn("is not JSON", recon.error)
        self.assertFalse(recon.line_ids)


class TestChecksumReconciliation(TestReconciliation):
    """The same planted differences among 300 rows that agree, found by
    bucket checksums, reading only the buckets that disagree."""

    # the system's checksums count what it holds (not its empty bin)
    side_counts = (305, 304)

    def setUp(self):
        super().setUp()
        self.job.recon_method = "checksum"
        env = self.env
        types = {t.code: t for t in env["mfg.integration.object.type"].search([])}
        parent = self.warehouse.view_location_id
        products = env["product.product"].create(
            [{"name": f"Bulk {index}", "is_storable": True} for index in range(15)]
        )
        locations = env["stock.location"].create(
            [
                {"name": f"BULK-{index}", "usage": "internal", "location_id": parent.id}
                for index in range(20)
            ]
        )
        env["mfg.integration.xref"].create(
            [
                {
                    "system_id": self.wms.id,
                    "object_type_id": types[kind].id,
                    "external_id": record.name,
                    "res_id": record.id,
                }
                for kind, records in (("product", products), ("location", locations))
                for record in records
            ]
        )
        rows = []
        for p_index, product in enumerate(products):
            for l_index, location in enumerate(locations):
                quantity = p_index * 20 + l_index + 0.5
                env["stock.quant"]._update_available_quantity(product, location, quantity)
                rows.append(stock_row(product.name, location.name, quantity, 30))
        self.fake.upsert(rows)

    def test_finds_exactly_the_planted_differences_and_its_actions_fix_them(self):
        result = super().test_finds_exactly_the_planted_differences_and_its_actions_fix_them()
        first, again = self.env["mfg.integration.recon"].search(
            [("job_id", "=", self.job.id)], order="id"
        )
        self.assertEqual(first.method, "checksum")
        # only the disagreeing buckets were read: the three records the system holds
        # among the differences, and few of their neighbours
        self.assertGreaterEqual(first.records_read, 3)
        self.assertLessEqual(first.records_read, 0.05 * first.system_count)
        bucket_reads = [r for r in self.fake.requests if r.get("path") == "/stock/range"]
        self.assertTrue(bucket_reads)
        self.assertFalse([r for r in self.fake.requests if "after_id" in r], "no extract read")
        # after the fixes only the explained bucket differs
        self.assertLessEqual(again.records_read, 0.05 * again.system_count)
        return result

    def test_an_unreadable_extract_fails_the_reconciliation_clearly(self):
        self.job.endpoint_url = "http://127.0.0.1:9/stock"  # nothing listens there
        recon = self.env["mfg.integration.recon"]._reconcile(self.job)
        self.assertEqual(recon.state, "failed")
        self.assertIn("http://127.0.0.1:9/stock/checksums (prefix '')", recon.error)
        self.assertFalse(recon.line_ids)
