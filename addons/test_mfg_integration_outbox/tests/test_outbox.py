"""The outbox's shared machinery, through sink kinds that are not HTTP."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.queue_job.tests.common import trap_jobs

TYPE = "test.outbox.thing.happened.v1"


class OutboxCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Event = cls.env["mfg.integration.event"]
        cls.Sent = cls.env["test.mfg.outbox.sent"]
        cls.partner = cls.env["res.partner"].create({"name": "Thing"})
        cls.sink = cls.env["test.mfg.outbox.sink"].create(
            {"name": "Recorder", "event_types": "test.outbox.*", "retry_schedule": "5,300,1800"}
        )

    def emit(self, subject=None, type_name=TYPE, **data):
        with trap_jobs() as trap:
            event = self.Event._emit(type_name, self.partner, data or {"step": 1}, subject=subject)
        self.trapped = trap
        return event

    def delivery(self, event, sink=None):
        sink = sink or self.sink
        return sink.delivery_ids.filtered(lambda d: d.event_id == event)

    def sent(self, sink=None):
        sink = sink or self.sink
        return self.Sent.search([("sink", "=", f"{sink._name},{sink.id}")])


class TestFanOut(OutboxCase):
    def test_one_delivery_per_subscriber_of_every_sink_kind(self):
        batch_sink = self.env["test.mfg.outbox.batch.sink"].create(
            {"name": "Broker-like", "event_types": "test.outbox.thing.*"}
        )
        uninterested = self.env["test.mfg.outbox.batch.sink"].create(
            {"name": "Elsewhere", "event_types": "mrp.*"}
        )
        other_company = self.env["res.company"].create({"name": "Other plant"})
        foreign = self.env["test.mfg.outbox.sink"].create(
            {"name": "Other plant's", "event_types": "*", "company_id": other_company.id}
        )
        event = self.emit()
        self.assertEqual(len(self.delivery(event)), 1)
        self.assertEqual(len(self.delivery(event, batch_sink)), 1)
        self.assertFalse(self.delivery(event, uninterested))
        self.assertFalse(self.delivery(event, foreign))
        # one drain job per subscriber, each on a channel of its own
        self.trapped.assert_jobs_count(2)
        channels = {job.channel for job in self.trapped.enqueued_jobs}
        self.assertEqual(len(channels), 2)
        self.assertEqual(self.sink._drain(), "1 sent, 1 delivered")
        self.assertEqual(batch_sink._drain(), "1 sent, 1 delivered")
        self.assertEqual(self.sent().event_uid, event.event_uid)
        self.assertEqual(self.sent(batch_sink).event_uid, event.event_uid)
        self.assertEqual(self.delivery(event, batch_sink).state, "delivered")
        log = self.env["mfg.integration.message.log"].search(
            [("route", "=", "batch://Broker-like")]
        )
        self.assertEqual((log.status, log.res_id, log.attempt), ("success", event.id, 1))

    def test_a_batch_sink_gets_the_claimed_batch_in_one_call(self):
        batch_sink = self.env["test.mfg.outbox.batch.sink"].create(
            {"name": "Broker-like", "event_types": "test.*"}
        )
        events = [self.emit(subject=f"b/{index}") for index in range(3)]
        self.assertEqual(batch_sink._drain(), "3 sent, 3 delivered")
        self.assertEqual(self.sent(batch_sink).mapped("batch_size"), [3, 3, 3])
        self.assertEqual(self.sent(batch_sink).mapped("event_uid"), [e.event_uid for e in events])
        self.assertEqual(set(batch_sink.delivery_ids.mapped("state")), {"delivered"})

    def test_record_filter_and_changes_of_subscription(self):
        self.sink.filter_domain = "[('name', '=', 'Someone else')]"
        self.assertFalse(self.delivery(self.emit()))
        self.sink.filter_domain = "[('name', '=', 'Thing')]"
        self.assertTrue(self.delivery(self.emit()))
        self.sink.action_pause()  # a paused subscriber keeps its deliveries, sends none
        paused = self.emit()
        self.assertTrue(self.delivery(paused))
        self.assertEqual(self.sink._drain(), "paused: nothing sent")
        self.sink.state = "disabled"
        self.assertFalse(self.delivery(self.emit()))
        late = self.env["test.mfg.outbox.sink"].create({"name": "Late", "event_types": "*"})
        self.assertTrue(self.delivery(self.emit(), late))


class TestEmit(OutboxCase):
    def test_unknown_type_is_an_error(self):
        with self.assertRaisesRegex(UserError, "no.such.type.v1"):
            self.Event._emit("no.such.type.v1", self.partner, {})
        # declared later, it emits (the look-up is not stale)
        self.env["mfg.integration.event.type"].create({"name": "no.such.type.v1"})
        self.assertTrue(self.emit(type_name="no.such.type.v1"))

    def test_deprecated_type_emits_nothing_after_its_sunset(self):
        event_type = self.env.ref("test_mfg_integration_outbox.event_type_thing_happened")
        event_type.write({"state": "deprecated", "sunset_date": fields.Date.today()})
        self.assertTrue(self.emit(), "until the sunset date it still emits")
        event_type.sunset_date = fields.Date.today() - timedelta(days=1)
        self.assertFalse(self.emit())


class TestRetries(OutboxCase):
    def test_backoff_with_jitter_then_dead_letter(self):
        self.sink.write({"answer": "fail", "max_attempts": 3, "failure_threshold": 100})
        event = self.emit()
        delivery = self.delivery(event)
        start = fields.Datetime.now()
        with freeze_time(start):
            self.sink._drain()
        self.assertEqual((delivery.state, delivery.attempts), ("retrying", 1))
        self.assertEqual(delivery.last_error, "the receiver said fail")
        wait = (delivery.next_attempt_at - start).total_seconds()
        self.assertTrue(4 <= wait <= 6, wait)  # 5 s ± 10%, stored to the second
        with freeze_time(start + timedelta(seconds=2)):
            self.assertEqual(self.sink._drain(), "0 sent, 0 delivered")  # not due yet
        with freeze_time(start + timedelta(seconds=7)):
            self.sink._drain()
        wait = (delivery.next_attempt_at - start - timedelta(seconds=7)).total_seconds()
        self.assertTrue(270 <= wait <= 330, wait)
        self.assertFalse(delivery.dead_lettered)
        with freeze_time(start + timedelta(seconds=400)):
            self.sink._drain()
        self.assertEqual((delivery.state, delivery.attempts), ("dead", 3))
        self.assertTrue(delivery.dead_lettered, "the dead-letter hook ran")
        self.assertEqual(self.sent().mapped("attempt"), [1, 2, 3])
        self.assertEqual(set(self.sent().mapped("event_uid")), {event.event_uid})
        self.assertEqual(self.sink.dead_count, 1)

    def test_busy_receiver_sets_the_pause_and_reject_gives_up_at_once(self):
        self.sink.write({"answer": "busy", "busy_seconds": 120})
        event = self.emit()
        start = fields.Datetime.now()
        with freeze_time(start):
            self.sink._drain()
        wait = (self.delivery(event).next_attempt_at - start).total_seconds()
        self.assertEqual(int(wait), 120)
        self.sink.answer = "reject"
        with freeze_time(start + timedelta(seconds=121)):
            self.sink._drain()
        self.assertEqual((self.delivery(event).state, self.delivery(event).attempts), ("dead", 2))
        self.assertEqual(self.sink.state, "active", "rejecting one delivery is not the sink's end")


class TestCircuitBreaker(OutboxCase):
    def test_opens_waits_probes_and_closes(self):
        owner = new_test_user(
            self.env,
            login="outbox_owner",
            groups="base.group_user,mfg_integration_core.group_integration_manager",
        )
        self.sink.write(
            {
                "answer": "fail",
                "failure_threshold": 2,
                "cooldown_seconds": 60,
                "max_attempts": 10,
                "owner_id": owner.id,
            }
        )
        events = [self.emit(subject=f"s/{index}") for index in range(5)]
        start = fields.Datetime.now()
        with freeze_time(start):
            self.sink._drain()
        self.assertEqual(self.sink.circuit_state, "open")
        self.assertEqual(len(self.sent()), 2, "the rest of the batch was not sent")
        self.assertEqual(
            [self.delivery(e).attempts for e in events], [1, 1, 0, 0, 0], "no attempt burnt"
        )
        # the subscriber's owner is told, with core's activity type (this sink
        # kind names none of its own)
        activity = self.sink.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("mfg_integration_core.mail_activity_sink_down"),
        )
        self.assertEqual(activity.user_id, owner)
        self.assertEqual(activity.summary, "Recorder stopped answering")
        self.assertIn("2 deliveries in a row failed", activity.note)
        self.assertIn("the receiver said fail", activity.note)
        with freeze_time(start + timedelta(seconds=30)):
            self.assertEqual(self.sink._drain(), "0 sent, 0 delivered")
        # after the cool-down one probe goes; it fails: open again
        with freeze_time(start + timedelta(seconds=61)):
            self.assertEqual(self.sink._drain(), "1 sent, 0 delivered")
        self.assertEqual(self.sink.circuit_state, "open")
        self.sink.answer = "accept"
        with freeze_time(start + timedelta(seconds=400)):
            self.sink._drain()
        self.assertEqual(self.sink.circuit_state, "closed")
        self.assertEqual(self.sink.consecutive_failures, 0)
        self.assertEqual({self.delivery(e).state for e in events}, {"delivered"})
        # the probe went alone, then the backlog flowed in one batch
        self.assertEqual(self.sent().mapped("batch_size")[-5:], [1, 4, 4, 4, 4])


class TestOrderingAndReplay(OutboxCase):
    def test_fifo_holds_later_events_of_a_failing_subject(self):
        self.sink.write(
            {
                "ordering": "fifo",
                "answer": "fail",
                "failing_subjects": "o/1",
                "failure_threshold": 100,
            }
        )
        first = self.emit(subject="o/1", step=1)
        second = self.emit(subject="o/1", step=2)
        unrelated = self.emit(subject="o/2", step=1)
        start = fields.Datetime.now()
        with freeze_time(start):
            self.sink._drain()
        self.assertEqual(self.delivery(first).state, "retrying")
        self.assertEqual(self.delivery(second).state, "pending")
        self.assertEqual(self.delivery(unrelated).state, "delivered")
        self.sink.answer = "accept"
        with freeze_time(start + timedelta(seconds=10)):
            self.sink._drain()
        self.assertEqual(
            self.sent().mapped("event_uid"),
            [first.event_uid, unrelated.event_uid, first.event_uid, second.event_uid],
        )

    def test_without_fifo_a_failing_subject_holds_nothing_back(self):
        self.sink.write({"answer": "fail", "failing_subjects": "o/1", "failure_threshold": 100})
        first = self.emit(subject="o/1", step=1)
        second = self.emit(subject="o/1", step=2)
        self.assertEqual(self.sink._drain(), "2 sent, 0 delivered")
        self.assertEqual(
            (self.delivery(first).state, self.delivery(second).state), ("retrying", "retrying")
        )

    def test_replay_keeps_the_event_id(self):
        event = self.emit()
        self.sink._drain()
        with trap_jobs() as trap:
            self.delivery(event).action_replay()
            trap.assert_jobs_count(1, only=self.sink._drain)
        self.assertEqual(self.delivery(event).state, "pending")
        self.sink._drain()
        self.assertEqual(self.sent().mapped("event_uid"), [event.event_uid, event.event_uid])
        self.assertEqual(self.sent().mapped("attempt"), [1, 1])
        # a range of past events, to a subscriber that did not exist when they happened
        late = self.env["test.mfg.outbox.batch.sink"].create({"name": "Late", "event_types": "*"})
        with trap_jobs():
            late._replay_events(event)
            late._replay_events(event)  # again: replayed, not created twice
        self.assertEqual(late._drain(), "1 sent, 1 delivered")
        self.assertEqual(self.sent(late).event_uid, event.event_uid)

    def test_replay_dead_letters(self):
        self.sink.write({"answer": "reject", "failure_threshold": 100})
        events = [self.emit(subject=f"d/{index}") for index in range(3)]
        self.sink._drain()
        self.assertEqual(self.sink.dead_count, 3)
        self.sink.answer = "accept"
        with trap_jobs():
            self.sink.action_replay_dead()
        self.sink._drain()
        self.assertEqual({self.delivery(e).state for e in events}, {"delivered"})
        self.assertEqual(self.sink.dead_count, 0)


class TestWatchdog(OutboxCase):
    def test_requeues_drains_whose_worker_died_for_every_sink_kind(self):
        self.emit()
        self.sink._schedule_drain()
        job = self.env["queue.job"].search(
            [("model_name", "=", self.sink._name), ("method_name", "=", "_drain")]
        )
        self.assertEqual(len(job), 1)
        job.write({"state": "started", "date_started": fields.Datetime.now() - timedelta(hours=1)})
        with self.env.registry.cursor() as other:
            other.execute("SELECT pg_advisory_lock(%s, %s)", self.sink._drain_lock_key())
            result = self.env["mfg.integration.outbox.sink"]._cron_watchdog_all()
            self.assertEqual(result[self.sink._name][0], 0, "a running drain is left alone")
            self.assertEqual(job.state, "started")
            other.execute("SELECT pg_advisory_unlock(%s, %s)", self.sink._drain_lock_key())
        result = self.env["mfg.integration.outbox.sink"]._cron_watchdog_all()
        self.assertIn("test.mfg.outbox.batch.sink", result)
        self.assertEqual(result[self.sink._name][0], 1)
        self.assertEqual(job.state, "pending")
