from datetime import timedelta

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.mfg_integration_exception.tests.common import PLANNER
from odoo.addons.mfg_integration_webhook.tests.receiver import Receiver
from odoo.addons.queue_job.tests.common import trap_jobs


class TestExceptionSources(TransactionCase):
    """Dead-lettered webhook deliveries and production variances open exceptions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Exception = cls.env["mfg.integration.exception"]
        cls.planner = new_test_user(cls.env, login="planner_x", groups=PLANNER)
        cls.mes = cls.env["mfg.integration.system"].create({"code": "MES-01", "name": "MES"})
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.stop)
        cls.env["mfg.integration.event.type"].create({"name": "test.widget.moved.v1"})
        cls.endpoint = cls.env["mfg.integration.webhook.endpoint"].create(
            {
                "name": "MES receiver",
                "url": "https://placeholder.invalid/x",
                "system_id": cls.mes.id,
                "event_types": "test.*",
                "max_attempts": 1,
                "failure_threshold": 100,
            }
        )
        cls.endpoint.sudo().write({"allow_insecure": True, "url": cls.receiver.url})
        cls.endpoint.action_generate_secret()
        cls.partner = cls.env["res.partner"].create({"name": "Subject"})

    def _dead_delivery(self):
        self.receiver.respond = lambda receiver, headers, body: (500, {})
        with trap_jobs():
            event = self.env["mfg.integration.event"]._emit(
                "test.widget.moved.v1", self.partner, {"n": 1}
            )
        self.endpoint._drain()
        return self.env["mfg.integration.webhook.delivery"].search([("event_id", "=", event.id)])

    def test_dead_letters_open_one_exception_per_fingerprint(self):
        first, second = self._dead_delivery(), self._dead_delivery()
        self.assertEqual((first.state, second.state), ("dead", "dead"))
        exception = self.Exception.search([("category", "=", "delivery_failed")])
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.occurrence_count, 2)
        self.assertIn("MES receiver did not accept test.widget.moved.v1", exception.name)
        self.assertEqual(exception.system_id, self.mes)
        self.assertEqual(exception.record_ref, self.partner)
        self.assertEqual(exception.source_ref, first)
        # SLA from the delivery rule: 4 hours
        self.assertEqual(exception.sla_deadline, exception.first_seen + timedelta(hours=4))
        # once the receiver is back, a retry queues both deliveries again; the
        # endpoint's drain sends them, and the exception resolves by itself
        self.receiver.respond = lambda receiver, headers, body: (200, {})
        sent_before = len(self.receiver.requests)
        exception.with_user(self.planner).action_retry()
        self.assertEqual(exception.state, "waiting")
        self.assertEqual((first.state, second.state), ("pending", "pending"))
        self.assertEqual(len(self.receiver.requests), sent_before, "queued, not sent at once")
        self.endpoint._drain()
        self.assertEqual((first.state, second.state), ("delivered", "delivered"))
        self.assertEqual(exception.state, "resolved")
        self.assertTrue(all(exception.occurrence_ids.mapped("settled")))
        self.assertIn("The retry succeeded", exception.message_ids[0].body)
        # a new failure after resolution opens a new exception
        self._dead_delivery()
        self.assertEqual(self.Exception.search_count([("category", "=", "delivery_failed")]), 2)

    def test_retry_that_fails_again_keeps_it_open(self):
        self._dead_delivery()
        exception = self.Exception.search([("category", "=", "delivery_failed")])
        sent_before = len(self.receiver.requests)
        exception.action_retry()
        self.assertEqual(exception.state, "waiting")
        self.endpoint._drain()
        # the delivery was really attempted again, failed, and the exception says so
        self.assertEqual(len(self.receiver.requests), sent_before + 1)
        self.assertEqual(exception.state, "in_progress")
        self.assertEqual(exception.occurrence_count, 2)
        self.assertIn("The retry failed again", exception.message_ids[0].body)

    def test_variance_opens_exception(self):
        product = self.env["product.product"].create({"name": "Pump", "is_storable": True})
        self.env["mrp.bom"].create({"product_tmpl_id": product.product_tmpl_id.id})
        production = self.env["mrp.production"].create(
            {"product_id": product.id, "product_qty": 10}
        )
        Variance = self.env["mfg.integration.production.variance"]
        Variance._record(production, 7, 0, self.mes)
        Variance._record(production, 6, 0, self.mes)
        exception = self.Exception.search([("category", "=", "production_variance")])
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.occurrence_count, 2)
        self.assertEqual(exception.record_ref, production)
        self.assertIn("7 produced for 10 planned (-30.0%", exception.name)
