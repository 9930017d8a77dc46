import threading
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from odoo.addons.mfg_integration_core.write_locks import (
    _lock_class,
    run_serialized,
    wait_for_writers,
)

KIND = "test.mfg.records"


@tagged("post_install", "-at_install")
class TestWriteLocks(TransactionCase):
    """Two real transactions (cursors of their own) writing the same records."""

    def _hold(self, record_id):
        holder = self.registry.cursor()
        self.addCleanup(holder.close)
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_lock_class(KIND), record_id))
        return holder

    def _release_once_waited_for(self, holder, record_id):
        """Commit the holder once another transaction waits for its record."""

        def release():
            with self.registry.cursor() as watcher:
                while True:
                    watcher.execute(
                        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                        " AND NOT granted AND classid = %s::oid AND objid = %s::oid",
                        (_lock_class(KIND) % 2**32, record_id),
                    )
                    if watcher.fetchone():
                        break
                    watcher.rollback()
                    threading.Event().wait(0.01)
            holder.commit()

        thread = threading.Thread(target=release)
        thread.start()
        return thread

    def test_an_attempt_that_meets_a_writer_waits_for_it_and_starts_again_at_once(self):
        holder = self._hold(7)
        attempts = []
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})

            def work():
                attempts.append(len(attempts) + 1)
                wait_for_writers(cr, KIND, [7])
                return "applied"

            thread = self._release_once_waited_for(holder, 7)
            with patch("odoo.service.model.time.sleep") as slept:
                result = run_serialized(work, env)
            thread.join()
        self.assertEqual(result, "applied")
        # the first attempt ended at the busy record, the second held it from its start
        self.assertEqual(attempts, [1, 2])
        slept.assert_not_called()  # no back-off: the attempt waited for the writer itself

    def test_records_nobody_writes_are_taken_in_the_first_attempt(self):
        attempts = []
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})

            def work():
                attempts.append(1)
                wait_for_writers(cr, KIND, [8, 9])
                cr.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND granted AND pid = pg_backend_pid() AND classid = %s::oid",
                    (_lock_class(KIND) % 2**32,),
                )
                return cr.fetchone()[0]

            held = run_serialized(work, env)
        self.assertEqual(held, 2)
        self.assertEqual(attempts, [1])
