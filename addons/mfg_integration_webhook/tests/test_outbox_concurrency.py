import threading
import uuid

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase


class TestOutboxConcurrency(TransactionCase):
    """Two transactions that emit for one subject never share a sequence number."""

    def test_the_later_transaction_is_retried_not_refused(self):
        subject = f"concurrency/{uuid.uuid4().hex}"
        # a payload its event type's schema accepts: emitting checks it
        payload = {"endpoint": "concurrency", "message": "two transactions"}
        registry = self.env.registry
        first_cr, second_cr = registry.cursor(), registry.cursor()
        try:
            first = api.Environment(first_cr, SUPERUSER_ID, {})
            second = api.Environment(second_cr, SUPERUSER_ID, {})
            record = first.ref("base.main_company")
            event_one = first["mfg.integration.event"]._emit(
                "mfg.integration.test.v1", record, payload, subject=subject
            )
            outcome = {}

            def emit_second():
                try:
                    second["mfg.integration.event"]._emit(
                        "mfg.integration.test.v1", record.with_env(second), payload, subject=subject
                    )
                except psycopg2.errors.SerializationFailure as error:
                    outcome["error"] = error

            thread = threading.Thread(target=emit_second)
            thread.start()
            thread.join(timeout=1)
            self.assertTrue(thread.is_alive(), "the second waits for the first")
            first_cr.commit()
            thread.join(timeout=30)
            # Odoo's request loop and queue_job retry a serialization failure
            self.assertIsInstance(outcome.get("error"), psycopg2.errors.SerializationFailure)
            second_cr.rollback()
            second.clear()
            event_two = second["mfg.integration.event"]._emit(
                "mfg.integration.test.v1", record.with_env(second), payload, subject=subject
            )
            self.assertEqual(event_two.sequence, event_one.sequence + 1)
            second_cr.commit()
        finally:
            first_cr.rollback()
            second_cr.rollback()
            with registry.cursor() as cleanup:
                cleanup.execute(
                    "DELETE FROM mfg_integration_webhook_delivery WHERE event_id IN "
                    "(SELECT id FROM mfg_integration_event WHERE subject = %s)",
                    [subject],
                )
                cleanup.execute("DELETE FROM mfg_integration_event WHERE subject = %s", [subject])
                cleanup.execute(
                    "DELETE FROM mfg_integration_event_subject WHERE subject = %s", [subject]
                )
            first_cr.close()
            second_cr.close()
