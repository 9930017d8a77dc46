import json
import os
import tempfile

from .common import SyncCase


class TestFileFolder(SyncCase):
    def setUp(self):
        super().setUp()
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = folder.name
        self.job.write({"adapter": "file_folder", "folder_path": self.folder})

    def drop(self, name, text):
        with open(os.path.join(self.folder, name), "w", encoding="utf-8") as handle:
            handle.write(text)

    def test_files_are_pages_and_a_broken_line_is_a_refused_record(self):
        self.drop(
            "stock-001.csv",
            "product,location,lot,quantity,unit,updated_at\n"
            "BOLT,A,,40,EA,2026-03-01T08:01:00Z\n"
            "NUT,A,,twelve,EA,2026-03-01T08:02:00Z\n"  # not a number
            "NUT,B,,12,EA\n"  # a field short
            "RESIN,A,L-5,3,EA,2026-03-01T08:03:00Z\n",
        )
        self.drop(
            "stock-002.json",
            json.dumps(
                {
                    "records": [
                        {
                            "product": "BOLT",
                            "location": "B",
                            "quantity": 6,
                            "unit": "EA",
                            "updated_at": "2026-03-01T09:00:00Z",
                        }
                    ]
                }
            ),
        )
        self.drop("notes.txt", "not a stock file")
        run = self.run_sync()
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual(
            (run.page_count, run.read_count, run.created_count, run.refused_count), (2, 5, 3, 2)
        )
        self.assertEqual(self.on_hand(self.bolt, self.bin_a), 40)
        self.assertEqual(self.on_hand(self.bolt, self.bin_b), 6)
        self.assertEqual(self.on_hand(self.nut, self.bin_a), 0, "the broken line changed nothing")
        details = sorted(run.issue_ids.mapped("detail"))
        self.assertEqual(
            details,
            [
                "stock-001.csv line 3: quantity 'twelve' is not a number.",
                "stock-001.csv line 4 does not have the 6 fields of the header.",
            ],
        )
        self.assertEqual(set(run.issue_ids.mapped("cursor")), {"stock-001.csv"})
        self.assertEqual((run.cursor_before, run.cursor_after), ("-", "stock-002.json"))
        self.assertEqual(
            sorted(os.listdir(os.path.join(self.folder, "done"))),
            ["stock-001.csv", "stock-002.json"],
        )
        self.assertEqual(os.listdir(self.folder).count("notes.txt"), 1)
        # the next run finds no new file
        again = self.run_sync()
        self.assertEqual((again.state, again.read_count, again.page_count), ("done", 0, 1))

    def test_a_broken_line_stops_its_file_when_configured(self):
        self.job.stop_on_record_error = True
        self.drop(
            "a.csv",
            "product,location,quantity,unit,updated_at\nBOLT,A,40,EA,2026-03-01T08:01:00Z\n",
        )
        self.drop(
            "b.csv",
            "product,location,quantity,unit,updated_at\n"
            "BOLT,B,5,EA,2026-03-01T08:02:00Z\n"
            "NUT,A,-,EA,2026-03-01T08:03:00Z\n",
        )
        run = self.run_sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("record 1 of the page at cursor b.csv was refused", run.error)
        self.assertEqual((self.job.cursor_file, run.page_count), ("a.csv", 1))
        self.assertEqual(self.on_hand(self.bolt, self.bin_a), 40)
        self.assertEqual(self.on_hand(self.bolt, self.bin_b), 0, "nothing of b.csv is applied")
        self.assertTrue(os.path.exists(os.path.join(self.folder, "b.csv")), "b.csv stays")

    def test_a_file_without_the_columns_stops_the_run(self):
        self.drop("a.csv", "sku;qty\nBOLT;4\n")
        run = self.run_sync()
        self.assertEqual(run.state, "failed")
        self.assertIn(
            "a.csv has no column product, location, quantity, unit, updated_at", run.error
        )
        self.assertFalse(self.job.cursor_file)
