"""The broker sink against a real RabbitMQ: what arrives, and how failures count."""

import json
from unittest.mock import patch

from cloudevents.core.bindings import rabbitmq as ce_rabbitmq
from cloudevents.core.formats.json import JSONFormat
from cryptography.fernet import Fernet

from odoo.exceptions import ValidationError
from odoo.tools import config

from odoo.addons.mfg_integration_broker import amqp
from odoo.addons.mfg_integration_core import secrets_at_rest
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import BrokerCase

TYPE = "test.outbox.thing.happened.v1"


class PublishCase(BrokerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create({"name": "Thing"})

    def make_sink(self, queue=True, **values):
        sink = self.env["mfg.integration.broker.sink"].create(
            {
                "name": "Analytics",
                "connection_id": self.connection.id,
                "exchange": f"{self.prefix}.events",
                "event_types": "test.outbox.*",
                "routing_key_template": "{type}.{subject}",
                **values,
            }
        )
        channel = self.amqp()
        self.addCleanup(
            lambda: channel.connection.is_open and channel.exchange_delete(sink.exchange)
        )
        if queue:
            name = f"{self.prefix}.analytics"
            sink.binding_ids = [(0, 0, {"queue": name, "binding_key": "test.outbox.#"})]
            self.forget_queue(channel, name, f"{name}.dead")
            sink.action_declare_topology()
        return sink, channel

    def emit(self, subject="thing/1", step=1):
        trace = f"00-{step:032x}-{step:016x}-01"
        Event = self.env["mfg.integration.event"].with_context(
            mfg_traceparent=trace, mfg_correlation_id=f"corr-{step}"
        )
        with trap_jobs():
            return Event._emit(TYPE, self.partner, {"step": step}, subject=subject)


class TestTopology(PublishCase):
    def test_declare_topology_makes_quorum_queues_with_a_dead_letter_queue(self):
        sink, channel = self.make_sink()
        queue = sink.binding_ids.queue
        # passive declarations fail unless the broker has them
        channel.exchange_declare(sink.exchange, passive=True)
        channel.queue_declare(queue, passive=True)
        channel.queue_declare(f"{queue}.dead", passive=True)
        # the same arguments again are accepted: they are the ones declared
        amqp.declare_queue(channel, queue, sink._dead_letter_exchange(), 5, True)
        self.assertIn("Topology declared", sink.message_ids[0].body)

    def test_routing_key_template_names_known_fields_only(self):
        with self.assertRaisesRegex(ValidationError, "not plant"):
            self.make_sink(queue=False, routing_key_template="{plant}.{type}")

    def test_password_is_stored_encrypted_and_never_in_the_url(self):
        stored = self.connection.sudo().encrypted_password
        self.assertNotIn("guest", stored)
        self.assertTrue(secrets_at_rest.readable(stored))
        self.assertFalse(self.connection.password)
        with self.assertRaisesRegex(ValidationError, "own fields"):
            self.connection.url = "amqp://guest:secret@127.0.0.1:5672/%2F"


class TestPublish(PublishCase):
    def test_an_event_arrives_as_a_cloudevent_once_the_broker_confirmed_it(self):
        sink, channel = self.make_sink()
        event = self.emit()
        sink._drain()
        delivery = sink.delivery_ids
        self.assertEqual(delivery.state, "delivered")
        ((method, properties, body),) = self.take(channel, sink.binding_ids.queue)
        self.assertEqual(method.routing_key, f"{TYPE}.thing/1")
        self.assertEqual(properties.message_id, event.event_uid)
        self.assertEqual(properties.correlation_id, event.correlation_id)
        self.assertEqual(properties.delivery_mode, 2)  # persistent
        self.assertTrue(properties.timestamp)
        received = ce_rabbitmq.from_binary(
            ce_rabbitmq.RabbitMQMessage(
                headers=properties.headers,
                content_type=properties.content_type,
                body=body,
            ),
            JSONFormat(),
        )
        self.assertEqual(received.get_id(), event.event_uid)
        self.assertEqual(received.get_type(), TYPE)
        self.assertEqual(received.get_subject(), "thing/1")
        self.assertEqual(received.get_datacontenttype(), "application/json")
        self.assertEqual(received.get_data()["step"], 1)
        self.assertEqual(received.get_source(), event.source)
        self.assertEqual(event.traceparent, f"00-{1:032x}-{1:016x}-01")
        self.assertEqual(properties.headers["traceparent"], event.traceparent)
        self.assertEqual(properties.correlation_id, "corr-1")
        log = self.env["mfg.integration.message.log"].search(
            [("res_model", "=", "mfg.integration.event"), ("res_id", "=", event.id)]
        )
        self.assertEqual(log.method, "PUBLISH")
        self.assertEqual(log.status, "success")

    def test_structured_mode_sends_the_whole_envelope(self):
        sink, channel = self.make_sink(content_mode="structured")
        event = self.emit()
        sink._drain()
        ((_method, properties, body),) = self.take(channel, sink.binding_ids.queue)
        self.assertEqual(properties.content_type, "application/cloudevents+json")
        received = ce_rabbitmq.from_structured(
            ce_rabbitmq.RabbitMQMessage(
                headers=properties.headers or {}, content_type=properties.content_type, body=body
            ),
            JSONFormat(),
        )
        self.assertEqual(received.get_id(), event.event_uid)
        self.assertEqual(json.loads(body)["data"]["step"], 1)

    def test_a_batch_goes_over_one_connection_in_event_order(self):
        sink, channel = self.make_sink(ordering="fifo")
        events = [self.emit(subject=f"thing/{n % 3}", step=n) for n in range(150)]
        opened = []
        original = amqp.ConfirmedPublisher.open

        def counting_open(publisher):
            opened.append(publisher)
            return original(publisher)

        with patch.object(amqp.ConfirmedPublisher, "open", counting_open):
            sink._drain()
        self.assertEqual(set(sink.delivery_ids.mapped("state")), {"delivered"})
        self.assertEqual(len(set(map(id, opened))), 1)
        received = self.take(channel, sink.binding_ids.queue)
        self.assertEqual(
            [properties.message_id for _m, properties, _b in received],
            [event.event_uid for event in events],
        )

    def test_an_unroutable_message_is_a_failed_attempt(self):
        sink, _channel = self.make_sink(queue=False)
        sink.action_declare_topology()  # the exchange, and no queue bound to it
        self.emit()
        sink._drain()
        delivery = sink.delivery_ids
        self.assertEqual(delivery.state, "retrying")
        self.assertIn("unroutable: 312 NO_ROUTE", delivery.last_error)
        self.assertEqual(delivery.attempts, 1)

    def test_a_broker_that_does_not_answer_fails_the_attempts_and_opens_the_circuit(self):
        sink, _channel = self.make_sink(queue=False, failure_threshold=2)
        self.connection.write({"url": "amqp://127.0.0.1:1/%2F", "timeout": 2})
        for step in range(3):
            self.emit(step=step)
        sink._drain()
        self.assertEqual(sink.circuit_state, "open")
        failed = sink.delivery_ids.filtered(lambda d: d.state == "retrying")
        self.assertEqual(len(failed), 2)
        self.assertIn("cannot connect to the broker", failed[0].last_error)

    def test_a_dead_letter_opens_an_exception_and_a_replay_publishes_it(self):
        sink, channel = self.make_sink(max_attempts=1)
        self.connection.write({"url": "amqp://127.0.0.1:1/%2F", "timeout": 2})
        event = self.emit()
        sink._drain()
        delivery = sink.delivery_ids
        self.assertEqual(delivery.state, "dead")
        exception = self.env["mfg.integration.exception"].search(
            [("category", "=", "delivery_failed")], order="id desc", limit=1
        )
        self.assertIn(f"Analytics did not accept {TYPE}", exception.name)
        self.connection.url = self.broker_url
        with trap_jobs():
            exception.action_retry()
        sink._drain()
        self.assertEqual(delivery.state, "delivered")
        ((_method, properties, _body),) = self.take(channel, sink.binding_ids.queue)
        self.assertEqual(properties.message_id, event.event_uid)


class TestSecretKeyChange(PublishCase):
    def test_a_password_the_server_cannot_read_holds_the_deliveries(self):
        sink, _channel = self.make_sink(queue=False)
        self.emit()
        new_key = {secrets_at_rest.CONFIG_KEY: Fernet.generate_key().decode()}
        with patch.dict(config.options, new_key):
            self.assertIn("Enter the password again", sink._drain())
            self.assertEqual(sink.delivery_ids.state, "pending")
            self.assertEqual(sink.delivery_ids.attempts, 0)
