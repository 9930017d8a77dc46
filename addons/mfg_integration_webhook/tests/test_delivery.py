import base64
from datetime import timedelta

from freezegun import freeze_time
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from odoo import fields
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.queue_job.tests.common import trap_jobs

from .receiver import Receiver


class WebhookCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.stop)
        cls.Event = cls.env["mfg.integration.event"]
        cls.event_type = cls.env["mfg.integration.event.type"].create(
            {"name": "test.widget.moved.v1", "description": "test type"}
        )
        cls.env["mfg.integration.event.type"].create({"name": "test.other.done.v1"})
        cls.partner = cls.env["res.partner"].create({"name": "Subject record"})
        cls.endpoint = cls.env["mfg.integration.webhook.endpoint"].create(
            {
                "name": "MES receiver",
                "url": "https://placeholder.invalid/hooks",
                "event_types": "test.widget.*",
                "retry_schedule": "5,300,1800",
            }
        )
        cls.endpoint.sudo().write({"allow_insecure": True, "url": cls.receiver.url})
        action = cls.endpoint.action_generate_secret()
        cls.secret = action["context"]["mfg_webhook_secret"]

    def setUp(self):
        super().setUp()
        self.receiver.requests.clear()
        self.receiver.respond = lambda receiver, headers, body: (200, {})

    def emit(self, record=None, type_name="test.widget.moved.v1", subject=None, **data):
        with trap_jobs() as trap:
            event = self.Event._emit(
                type_name, record or self.partner, data or {"n": 1}, subject=subject
            )
        self.trapped = trap
        return event

    def drain(self):
        return self.endpoint._drain()

    def delivery(self, event):
        return self.env["mfg.integration.webhook.delivery"].search(
            [("event_id", "=", event.id), ("endpoint_id", "=", self.endpoint.id)]
        )


class TestDelivery(WebhookCase):
    def test_signed_delivery_verified_by_standard_webhooks(self):
        event = self.emit(order="MO-1")
        self.trapped.assert_jobs_count(1, only=self.endpoint._drain)
        self.assertEqual(self.drain(), "1 sent, 1 delivered")
        request = self.receiver.requests[0]
        payload = Webhook(self.secret).verify(request["body"], request["headers"])
        self.assertEqual(payload["id"], event.event_uid)
        self.assertEqual(payload["type"], "test.widget.moved.v1")
        self.assertEqual(payload["specversion"], "1.0")
        self.assertEqual(payload["data"], {"order": "MO-1"})
        self.assertEqual(payload["subject"], f"res.partner/{self.partner.id}")
        headers = request["headers"]
        self.assertEqual(headers["webhook-id"], event.event_uid)
        self.assertEqual(headers["ce-type"], "test.widget.moved.v1")
        self.assertEqual(headers["ce-id"], event.event_uid)
        delivery = self.delivery(event)
        self.assertEqual(
            (delivery.state, delivery.attempts, delivery.last_status), ("delivered", 1, 200)
        )
        log = self.env["mfg.integration.message.log"].search(
            [("direction", "=", "outbound")], limit=1
        )
        self.assertEqual(
            (log.status, log.http_status, log.route), ("success", 200, self.receiver.url)
        )
        self.assertNotIn("webhook-signature", log.request_headers)
        with self.assertRaises(WebhookVerificationError):
            Webhook("whsec_" + base64.b64encode(b"x" * 32).decode()).verify(
                request["body"], request["headers"]
            )

    def test_rotation_signs_with_both_secrets(self):
        action = self.endpoint.action_generate_secret()
        new_secret = action["context"]["mfg_webhook_secret"]
        self.emit()
        self.drain()
        request = self.receiver.requests[0]
        self.assertEqual(len(request["headers"]["webhook-signature"].split(" ")), 2)
        Webhook(self.secret).verify(request["body"], request["headers"])
        Webhook(new_secret).verify(request["body"], request["headers"])
        with freeze_time(fields.Datetime.now() + timedelta(days=2)):
            self.assertEqual(len(self.endpoint._signing_secrets()), 1)

    def test_secrets_never_stored_in_clear(self):
        self.env.flush_all()
        raw = self.secret.removeprefix("whsec_")
        self.env.cr.execute(
            """SELECT table_name, column_name FROM information_schema.columns
                WHERE table_schema = 'public' AND data_type IN ('character varying', 'text')"""
        )
        for table, column in self.env.cr.fetchall():
            self.env.cr.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE %s',
                [f"%{raw[:20]}%"],
            )
            self.assertEqual(self.env.cr.fetchone()[0], 0, f"{table}.{column}")

    def test_only_matching_endpoints_get_deliveries(self):
        other = self.emit(type_name="test.other.done.v1")
        self.assertFalse(self.delivery(other))
        self.endpoint.event_types = "test.other.*, test.widget.moved.v1"
        self.endpoint.filter_domain = "[('name', '=', 'Someone else')]"
        filtered = self.emit()
        self.assertFalse(self.delivery(filtered))
        self.endpoint.filter_domain = "[('name', '=', 'Subject record')]"
        self.assertTrue(self.delivery(self.emit()))
        self.assertTrue(self.delivery(self.emit(type_name="test.other.done.v1")))

    def test_rollback_leaves_no_event_no_delivery_no_job(self):
        def counts():
            return (
                self.env["mfg.integration.event"].search_count([]),
                self.env["mfg.integration.webhook.delivery"].search_count([]),
                self.env["queue.job"].search_count([]),
            )

        before = counts()
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.Event._emit("test.widget.moved.v1", self.partner, {"n": 1})
            self.assertEqual(counts()[0], before[0] + 1)
            self.assertEqual(counts()[2], before[2] + 1)
            raise RuntimeError("the business change fails")
        self.env.invalidate_all()
        self.assertEqual(counts(), before)

    def test_sequence_increases_per_subject(self):
        first = self.emit(subject="mrp.production/MO-7")
        second = self.emit(subject="mrp.production/MO-7")
        other = self.emit(subject="mrp.production/MO-8")
        self.assertEqual((first.sequence, second.sequence, other.sequence), (1, 2, 1))


class TestRetries(WebhookCase):
    def test_backoff_then_dead_letter(self):
        self.endpoint.write({"max_attempts": 3, "failure_threshold": 100})
        self.receiver.respond = lambda receiver, headers, body: (500, {})
        event = self.emit()
        start = fields.Datetime.now()
        with freeze_time(start):
            self.drain()
        delivery = self.delivery(event)
        self.assertEqual(
            (delivery.state, delivery.attempts, delivery.last_status), ("retrying", 1, 500)
        )
        wait = (delivery.next_attempt_at - start).total_seconds()
        self.assertTrue(4 <= wait <= 6, wait)  # 5 s with ±10% jitter
        with freeze_time(start + timedelta(seconds=2)):
            self.assertEqual(self.drain(), "0 sent, 0 delivered")  # not due yet
        with freeze_time(start + timedelta(seconds=7)):
            self.drain()
        self.assertEqual(delivery.attempts, 2)
        wait = (delivery.next_attempt_at - start - timedelta(seconds=7)).total_seconds()
        self.assertTrue(270 <= wait <= 330, wait)
        with freeze_time(start + timedelta(seconds=400)):
            self.drain()
        self.assertEqual((delivery.state, delivery.attempts), ("dead", 3))
        self.assertEqual(len(self.receiver.requests), 3)
        self.assertEqual(
            {r["headers"]["webhook-id"] for r in self.receiver.requests}, {event.event_uid}
        )

    def test_retry_after_is_honoured_and_410_disables(self):
        self.receiver.respond = lambda receiver, headers, body: (429, {"Retry-After": "120"})
        event = self.emit()
        start = fields.Datetime.now()
        with freeze_time(start):
            self.drain()
        wait = (self.delivery(event).next_attempt_at - start).total_seconds()
        self.assertEqual(int(wait), 120)
        self.receiver.respond = lambda receiver, headers, body: (410, {})
        with freeze_time(start + timedelta(seconds=121)):
            self.drain()
        self.assertEqual(self.delivery(event).state, "dead")
        self.assertEqual(self.endpoint.state, "disabled")

    def test_circuit_opens_waits_and_closes(self):
        owner = new_test_user(
            self.env,
            login="webhook_owner",
            groups="base.group_user,mfg_integration_core.group_integration_user",
        )
        self.endpoint.write(
            {
                "failure_threshold": 2,
                "cooldown_seconds": 60,
                "max_attempts": 10,
                "owner_id": owner.id,
            }
        )
        self.receiver.respond = lambda receiver, headers, body: (503, {})
        events = [self.emit(subject=f"s/{index}") for index in range(5)]
        start = fields.Datetime.now()
        with freeze_time(start):
            self.drain()
        self.assertEqual(self.endpoint.circuit_state, "open")
        self.assertEqual(len(self.receiver.requests), 2)
        # the endpoint's owner is told, with the webhook's own activity type
        activity = self.endpoint.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("mfg_integration_webhook.mail_activity_circuit_open"),
        )
        self.assertEqual(activity.user_id, owner)
        self.assertEqual(activity.summary, "MES receiver stopped answering")
        self.assertIn("2 deliveries in a row failed", activity.note)
        with freeze_time(start + timedelta(seconds=30)):
            self.drain()  # open: nothing is sent, no attempt is burnt
        self.assertEqual(len(self.receiver.requests), 2)
        self.receiver.respond = lambda receiver, headers, body: (200, {})
        with freeze_time(start + timedelta(seconds=400)):
            self.drain()
        self.assertEqual(self.endpoint.circuit_state, "closed")
        self.assertEqual({self.delivery(e).state for e in events}, {"delivered"})
        # the probe went first, then the backlog flowed
        self.assertEqual(len(self.receiver.requests), 2 + 5)

    def test_fifo_holds_later_events_of_a_failing_subject(self):
        self.endpoint.write({"ordering": "fifo", "failure_threshold": 100})
        first = self.emit(subject="mrp.production/MO-1", step=1)
        second = self.emit(subject="mrp.production/MO-1", step=2)
        unrelated = self.emit(subject="mrp.production/MO-2", step=1)
        self.receiver.respond = lambda receiver, headers, body: (
            (500, {}) if headers["webhook-id"] == first.event_uid else (200, {})
        )
        start = fields.Datetime.now()
        with freeze_time(start):
            self.drain()
        self.assertEqual(self.delivery(first).state, "retrying")
        self.assertEqual(self.delivery(second).state, "pending")
        self.assertEqual(self.delivery(unrelated).state, "delivered")
        self.receiver.respond = lambda receiver, headers, body: (200, {})
        with freeze_time(start + timedelta(seconds=10)):
            self.drain()
        delivered = [r["headers"]["webhook-id"] for r in self.receiver.requests]
        self.assertEqual(
            delivered, [first.event_uid, unrelated.event_uid, first.event_uid, second.event_uid]
        )

    def test_replay_keeps_the_webhook_id(self):
        event = self.emit()
        self.drain()
        with trap_jobs() as trap:
            self.delivery(event).action_replay()
            trap.assert_jobs_count(1, only=self.endpoint._drain)
        self.drain()
        ids = [r["headers"]["webhook-id"] for r in self.receiver.requests]
        self.assertEqual(ids, [event.event_uid, event.event_uid])
        # replay of a window, through the wizard
        wizard = self.env["mfg.integration.webhook.replay"].create(
            {
                "endpoint_id": self.endpoint.id,
                "event_types": "test.*",
                "date_from": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        wizard.action_replay()
        self.drain()
        self.assertEqual(
            [r["headers"]["webhook-id"] for r in self.receiver.requests][-1], event.event_uid
        )

    def test_replay_all_dead_letters_of_an_endpoint(self):
        self.endpoint.write({"max_attempts": 1, "failure_threshold": 100})
        self.receiver.respond = lambda receiver, headers, body: (500, {})
        events = [self.emit(subject=f"d/{index}") for index in range(3)]
        self.drain()
        self.assertEqual(self.endpoint.dead_count, 3)
        self.receiver.respond = lambda receiver, headers, body: (200, {})
        with trap_jobs():
            self.endpoint.action_replay_dead()
        self.drain()
        self.assertEqual({self.delivery(e).state for e in events}, {"delivered"})
        self.assertEqual(self.endpoint.dead_count, 0)

    def test_watchdog_requeues_drains_whose_worker_died(self):
        self.receiver.respond = lambda receiver, headers, body: (200, {})
        self.emit()
        self.endpoint._schedule_drain()
        job = self.env["queue.job"].search(
            [("method_name", "=", "_drain")], order="id desc", limit=1
        )
        job.write({"state": "started", "date_started": fields.Datetime.now() - timedelta(hours=1)})
        # a drain that runs holds the endpoint's lock (on another connection): left alone
        with self.env.registry.cursor() as other:
            other.execute("SELECT pg_advisory_lock(%s, %s)", self.endpoint._drain_lock_key())
            self.assertEqual(self.endpoint._cron_watchdog()[0], 0)
            self.assertEqual(job.state, "started")
            other.execute("SELECT pg_advisory_unlock(%s, %s)", self.endpoint._drain_lock_key())
        # its worker died: the lock is free, the job is requeued
        stuck, woken = self.endpoint._cron_watchdog()
        self.assertEqual(stuck, 1)
        self.assertEqual(job.state, "pending")
        self.assertGreaterEqual(woken, 1)

    def test_send_test_event_button(self):
        with trap_jobs():
            self.endpoint.action_send_test_event()
        self.drain()
        self.assertEqual(self.receiver.events()[0]["type"], "mfg.integration.test.v1")
