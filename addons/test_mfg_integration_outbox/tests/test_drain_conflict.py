"""A drain whose transaction a concurrent one aborts, on real connections.

The drain runs as the job runner runs it: its queue_job job performed in a
thread of its own, on a connection of its own that commits its progress. The
test's own transaction is not used: what the drain reads is committed first
and removed at the end. The job itself is never stored: a job runner of any
server on this database would take a pending one and run it meanwhile.
"""

import threading
import uuid
from unittest.mock import patch

from psycopg2 import OperationalError, errorcodes

from odoo import SUPERUSER_ID, api, sql_db
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tests import TransactionCase

from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs

TYPE = "test.outbox.thing.happened.v1"
SINK = "test.mfg.outbox.sink"


class TestDrainConflict(TransactionCase):
    def connection(self):
        """A cursor on a connection of its own (not the test's)."""
        return sql_db.db_connect(self.env.cr.dbname).cursor()

    def committed_subscriber(self):
        """A subscriber whose receiver fails, with one delivery waiting,
        committed: its id."""
        subject = f"conflict/{uuid.uuid4().hex}"
        with self.connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            sink = env[SINK].create(
                {
                    "name": f"Conflict {subject}",
                    "event_types": "test.outbox.*",
                    "answer": "fail",
                    "failure_threshold": 100,
                }
            )
            with trap_jobs() as trap:
                event = env["mfg.integration.event"]._emit(
                    TYPE, env.user.partner_id, {"step": 1}, subject=subject
                )
            trap.assert_jobs_count(1, only=sink._drain)
            # nothing is woken after the commit either: the test performs the drain
            cr.postcommit.clear()
            self.addCleanup(self.remove, sink.id, event.id, subject)
            return sink.id

    def remove(self, sink_id, event_id, subject):
        with self.connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            sink = env[SINK].browse(sink_id)
            env["mfg.integration.message.log"].search(
                [("res_model", "=", "mfg.integration.event"), ("res_id", "=", event_id)]
            ).unlink()
            env["test.mfg.outbox.sent"].search([("sink", "=", f"{SINK},{sink_id}")]).unlink()
            sink.unlink()  # and its deliveries
            env["mfg.integration.event"].browse(event_id).unlink()
            cr.execute("DELETE FROM mfg_integration_event_subject WHERE subject = %s", [subject])

    def perform_in_a_worker(self, sink_id, lock_key):
        """Perform the subscriber's drain job in a thread with a connection of
        its own, as the runner's worker does; return (what it raised, whether
        the drain's lock was free when it returned)."""
        outcome = {}

        def work():
            with self.connection() as cr:
                sink = api.Environment(cr, SUPERUSER_ID, {})[SINK].browse(sink_id)
                try:
                    Job(sink._drain).perform()
                except Exception as error:  # what the runner's worker gets
                    outcome["error"] = error
                with self.connection() as other:
                    other.execute("SELECT pg_try_advisory_lock(%s, %s)", lock_key)
                    outcome["lock_free"] = other.fetchone()[0]
                    other.execute("SELECT pg_advisory_unlock_all()")
                # a pooled connection outlives this test: it keeps no lock
                cr.rollback()
                cr.execute("SELECT pg_advisory_unlock_all()")

        worker = threading.Thread(target=work, name="drain-worker")
        worker.start()
        worker.join(timeout=120)
        self.assertFalse(worker.is_alive(), "the drain returned")
        return outcome.get("error"), outcome.get("lock_free")

    def test_a_conflict_at_a_commit_of_progress_reaches_the_runner_and_frees_the_lock(self):
        sink_id = self.committed_subscriber()
        Sink = type(self.env[SINK])
        send_batch = Sink._send_batch

        def send_while_the_subscriber_is_edited(sink, deliveries, transport):
            # while the receiver answers, someone changes the subscriber and
            # commits: the drain's own write of the subscriber (its failure
            # count) conflicts with it when the drain commits its progress
            with self.connection() as other:
                other.execute(
                    "UPDATE test_mfg_outbox_sink SET retry_schedule = '5,300' WHERE id = %s",
                    [sink_id],
                )
            return send_batch(sink, deliveries, transport)

        with patch.object(Sink, "_send_batch", send_while_the_subscriber_is_edited):
            error, lock_free = self.perform_in_a_worker(
                sink_id, self.env[SINK].browse(sink_id)._drain_lock_key()
            )

        # queue_job's runner retries an OperationalError with one of these codes
        self.assertIsInstance(error, OperationalError, repr(error))
        self.assertIn(
            error.pgcode,
            PG_CONCURRENCY_ERRORS_TO_RETRY,
            f"{errorcodes.lookup(error.pgcode)}: {error}",
        )
        self.assertTrue(lock_free, "the next drain can take the subscriber's lock")
        # nothing of the aborted attempt stayed: the retried drain sends it again
        with self.connection() as cr:
            cr.execute(
                "SELECT state, coalesce(attempts, 0) FROM test_mfg_outbox_delivery "
                "WHERE sink_id = %s",
                [sink_id],
            )
            self.assertEqual(cr.fetchall(), [("pending", 0)])
