"""Command queues: a message runs through the command pipeline, and what the
consumer does with it follows from the outcome."""

import json
import uuid

from odoo.exceptions import UserError

from odoo.addons.mfg_integration_broker.amqp import ReceivedMessage

from .common import BrokerCase


class TestConsume(BrokerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client, _key, _secret = cls._approved_client_with_key(
            "MES-02 over AMQP", rate_limit_burst=1000, rate_limit_per_minute=6000
        )
        cls.queue = cls.env["mfg.integration.broker.queue"].create(
            {
                "name": f"{cls.prefix}.commands",
                "connection_id": cls.connection.id,
                "client_id": cls.client.id,
                "max_attempts": 2,
            }
        )
        cls.Calls = cls.env["test.mfg.integration.echo.call"]
        cls.Exception = cls.env["mfg.integration.exception"]

    def message(self, body, command="test.echo", message_id=None, delivery_count=0, **headers):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return ReceivedMessage(
            body=raw,
            headers={"ce-type": command, "ce-specversion": "1.0", **headers}
            if command
            else headers,
            content_type="application/json",
            message_id=message_id or str(uuid.uuid4()),
            correlation_id="corr-1",
            reply_to="replies",
            delivery_count=delivery_count,
        )

    def test_a_message_is_applied_as_its_client_and_logged(self):
        outcome = self.queue._consume(self.message({"name": "Ada"}))
        self.assertEqual(outcome.action, "ack")
        self.assertEqual(outcome.response.status, 200)
        self.assertEqual(outcome.response.body["greeting"], "Hello Ada")
        call = self.Calls.search([("name", "=", "Ada")])
        self.assertEqual(call.create_uid, self.client.technical_user_id)
        self.assertEqual(call.correlation_id, "corr-1")
        log = self.env["mfg.integration.message.log"].search([], order="id desc", limit=1)
        self.assertEqual(
            (log.route, log.method, log.status), (f"AMQP {self.queue.name}", "AMQP", "success")
        )
        self.assertEqual(log.system_id, self.client.system_id)

    def test_a_later_version_is_named_in_the_type(self):
        outcome = self.queue._consume(self.message({"full_name": "Grace"}, "test.echo.v2"))
        self.assertEqual(
            (outcome.action, outcome.response.body["greeting"]), ("ack", "Hello Grace")
        )

    def test_a_redelivered_message_is_applied_once(self):
        message = self.message({"name": "Once"})
        first = self.queue._consume(message)
        again = self.queue._consume(ReceivedMessage(**{**message.__dict__, "delivery_count": 1}))
        self.assertEqual((first.action, again.action), ("ack", "ack"))
        self.assertEqual(first.response.body, again.response.body)
        self.assertEqual(again.response.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(self.Calls.search_count([("name", "=", "Once")]), 1)

    def test_the_client_scopes_apply(self):
        self.client.scope_ids = [(6, 0, self.scope_prod_write.ids)]
        outcome = self.queue._consume(self.message({"name": "Nope"}))
        self.assertEqual((outcome.action, outcome.response.status), ("requeue", 403))
        self.assertFalse(self.Calls.search_count([("name", "=", "Nope")]))

    def test_a_rate_limited_client_waits(self):
        # a client of its own: rate-limit buckets outlive the test's transaction
        client, _key, _secret = self._approved_client_with_key(
            "Slow MES", rate_limit_burst=1, rate_limit_per_minute=1
        )
        queue = self.queue.copy({"name": f"{self.prefix}.slow", "client_id": client.id})
        self.assertEqual(queue._consume(self.message({"name": "One"})).action, "ack")
        outcome = queue._consume(self.message({"name": "Two"}))
        self.assertEqual(outcome.action, "wait")
        self.assertGreaterEqual(outcome.retry_after, 1)
        self.assertFalse(self.Calls.search_count([("name", "=", "Two")]))

    def test_poison_messages_are_requeued_then_dead_lettered_with_an_exception(self):
        poisons = {
            "malformed-json": self.message(b"{not json"),
            "not-found": self.message({"name": "x"}, command="test.nothing"),
            "validation-error": self.message({"name": ""}),
            "unmapped-code": self.message({"kind": "unmapped"}, command="test.fail"),
            "payload-too-large": self.message({"name": "x" * 200}),
        }
        self.env["ir.config_parameter"].set_param("mfg_integration.api_max_payload_bytes", 150)
        for slug, message in poisons.items():
            first = self.queue._consume(message)
            self.assertEqual(first.action, "requeue", slug)
            last = self.queue._consume(ReceivedMessage(**{**message.__dict__, "delivery_count": 1}))
            self.assertEqual(last.action, "dead", slug)
            self.assertTrue(last.response.body["type"].endswith(slug), last.response.body)
            kept = self.queue.dead_message_ids.filtered(
                lambda m, message=message: m.message_id == message.message_id
            )
            self.assertEqual((kept.state, kept.attempts), ("dead", 2))
            self.assertEqual(kept._received_message().body, message.body)
        self.assertEqual(self.queue.dead_message_count, 5)
        unmapped = self.Exception.search(
            [("category", "=", "unmapped_code")], order="id desc", limit=1
        )
        self.assertIn("RED", unmapped.name)
        self.assertTrue(self.Exception.search_count([("category", "=", "validation_error")]))
        self.assertFalse(self.Calls.search_count([("name", "in", ("x", ""))]))

    def test_a_dead_message_is_applied_by_retry_once_its_cause_is_fixed(self):
        self.client.scope_ids = [(6, 0, self.scope_prod_write.ids)]
        message = self.message({"name": "Later"}, delivery_count=1)
        self.assertEqual(self.queue._consume(message).action, "dead")
        exception = self.Exception.search([], order="id desc", limit=1)
        self.assertIn("dead-lettered after 2 attempt(s)", exception.occurrence_ids.detail)
        self.assertEqual(exception.occurrence_ids.source_ref, self.queue.dead_message_ids)
        self.client.scope_ids = [(4, self.scope_mapping_read.id)]
        exception.action_retry()
        self.assertEqual(self.queue.dead_message_ids.state, "applied")
        self.assertEqual(self.Calls.search_count([("name", "=", "Later")]), 1)
        self.assertEqual(exception.state, "resolved")
        # the broker delivering it once more changes nothing: the id was applied
        again = self.queue._consume(ReceivedMessage(**{**message.__dict__, "delivery_count": 2}))
        self.assertEqual(again.action, "ack")
        self.assertEqual(self.Calls.search_count([("name", "=", "Later")]), 1)

    def test_a_path_parameter_comes_from_the_subject(self):
        missing = self.queue._consume(self.message(None, command="request.get"))
        self.assertEqual(missing.response.status, 422)
        self.assertIn("ce-subject", missing.response.body["detail"])
        # the subject reaches the handler as the route's id: an unknown one is not found
        unknown = self.queue._consume(
            self.message(None, command="request.get", **{"ce-subject": "999999999"})
        )
        self.assertEqual(unknown.response.status, 404, unknown.response.body)

    def test_structured_mode_carries_the_command_in_the_envelope(self):
        envelope = {
            "specversion": "1.0",
            "id": "e-1",
            "source": "mes-02",
            "type": "test.echo",
            "data": {"name": "Envelope"},
        }
        message = ReceivedMessage(
            body=json.dumps(envelope).encode(),
            headers={},
            content_type="application/cloudevents+json",
            message_id=None,
        )
        outcome = self.queue._consume(message)
        self.assertEqual(
            (outcome.action, outcome.response.body["greeting"]), ("ack", "Hello Envelope")
        )

    def test_declare_queue_makes_a_quorum_queue_with_its_dead_letter_queue(self):
        channel = self.amqp()
        self.forget_queue(channel, self.queue.name, f"{self.queue.name}.dead")
        self.queue.action_declare()
        declared = channel.queue_declare(self.queue.name, passive=True)
        self.assertEqual(declared.method.message_count, 0)
        channel.queue_declare(f"{self.queue.name}.dead", passive=True)
        self.assertIn("Queue declared", self.queue.message_ids[0].body)
        self.connection.url = "amqp://127.0.0.1:1/%2F"
        with self.assertRaisesRegex(UserError, "cannot connect to the broker"):
            self.queue.action_declare()
