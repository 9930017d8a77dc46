"""One request traced through every hop, into the SDK's in-memory exporter:
the REST request, the command's apply, the outbox emit, the drain job, the
webhook delivery; and the broker's publish and command consumer."""

import json
from types import SimpleNamespace
from unittest.mock import patch

from opentelemetry.trace import SpanKind, StatusCode

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.mfg_integration_broker.amqp import ReceivedMessage
from odoo.addons.mfg_integration_observability.controllers.runjob import (
    TracedRunJobController,
)
from odoo.addons.mfg_integration_observability.tests.common import (
    CALLER_SPAN_ID,
    CALLER_TRACE_ID,
    CALLER_TRACEPARENT,
    TracingMixin,
)
from odoo.addons.mfg_integration_webhook.tests.receiver import Receiver
from odoo.addons.queue_job.job import Job
from odoo.addons.test_mfg_integration_broker.tests.common import BrokerCase

from ..models.traced_command import EVENT_TYPE

ROUTE = "POST /api/mfg/v1/test/traced"


class TraceCase(TracingMixin, BrokerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client, _key_record, cls.key = cls._approved_client_with_key(
            "Traced client", rate_limit_burst=1000, rate_limit_per_minute=6000
        )
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.stop)
        cls.endpoint = cls.env["mfg.integration.webhook.endpoint"].create(
            {
                "name": "Traced receiver",
                "url": "https://placeholder.invalid/hooks",
                "event_types": EVENT_TYPE,
            }
        )
        cls.endpoint.sudo().write({"allow_insecure": True, "url": cls.receiver.url})
        cls.endpoint.action_generate_secret()

    def setUp(self):
        super().setUp()
        self.start_tracing()
        self.receiver.requests.clear()

    def run_job(self, record):
        """What the job runner's request does with a job (commits aside)."""
        job = Job.load(self.env, record.uuid)
        job.set_enqueued()
        with patch.object(self.env.cr, "commit", lambda: None):
            TracedRunJobController()._try_perform_job(self.env, job)
        self.assertEqual(record.state, "done", record.exc_info)


@tagged("post_install", "-at_install")
class TestTraceAcrossHops(HttpCase, TraceCase):
    def test_one_trace_from_the_request_to_the_webhook_receiver(self):
        response = self.url_open(
            "/api/mfg/v1/test/traced",
            data=json.dumps({"name": "Ada"}),
            headers={
                "Authorization": f"Bearer {self.key}",
                "Content-Type": "application/json",
                "traceparent": CALLER_TRACEPARENT,
            },
        )
        self.assertEqual(response.status_code, 200, response.text)
        server = self.span(ROUTE)
        apply = self.span("apply test.traced.v1")
        emit = self.span(f"emit {EVENT_TYPE}")
        # the request continues the caller's trace, and answers with its own span
        self.assertEqual(server.kind, SpanKind.SERVER)
        self.assertEqual(f"{server.context.trace_id:032x}", CALLER_TRACE_ID)
        self.assertEqual(f"{server.parent.span_id:016x}", CALLER_SPAN_ID)
        self.assertEqual(response.headers["traceparent"], self.traceparent(server))
        self.assertEqual(
            {
                key: server.attributes.get(key)
                for key in ("http.request.method", "http.route", "http.response.status_code")
            },
            {
                "http.request.method": "POST",
                "http.route": "/api/mfg/v1/test/traced",
                "http.response.status_code": 200,
            },
        )
        self.assertChildOf(apply, server)
        self.assertEqual(apply.kind, SpanKind.INTERNAL)
        self.assertChildOf(emit, apply)
        self.assertEqual(emit.kind, SpanKind.PRODUCER)
        event = self.env["mfg.integration.event"].search(
            [("event_uid", "=", response.json()["event"])]
        )
        self.assertEqual(event.traceparent, self.traceparent(emit))
        log = self.env["mfg.integration.message.log"].search(
            [("correlation_id", "=", response.headers["X-Correlation-ID"])]
        )
        self.assertEqual(log.traceparent, self.traceparent(server))
        # the drain job was enqueued in the emit's span, and keeps it
        job = self.env["queue.job"].search(
            [("model_name", "=", self.endpoint._name), ("state", "=", "pending")],
            order="id desc",
            limit=1,
        )
        self.assertEqual(job.mfg_traceparent, self.traceparent(emit))
        self.run_job(job)
        drain = self.span("process mfg.integration.webhook.endpoint._drain")
        delivery = self.span("POST")
        self.assertEqual(drain.kind, SpanKind.CONSUMER)
        self.assertChildOf(drain, emit)
        self.assertEqual(delivery.kind, SpanKind.CLIENT)
        self.assertChildOf(delivery, drain)
        self.assertEqual(
            {
                key: delivery.attributes.get(key)
                for key in ("http.request.method", "url.full", "http.response.status_code")
            },
            {
                "http.request.method": "POST",
                "url.full": self.receiver.url,
                "http.response.status_code": 200,
            },
        )
        # the receiver continues the delivery's span
        (request,) = self.receiver.requests
        self.assertEqual(request["headers"]["traceparent"], self.traceparent(delivery))

    def test_a_refused_delivery_is_a_failed_client_span(self):
        self.receiver.respond = lambda receiver, headers, body: (503, {})
        self.addCleanup(setattr, self.receiver, "respond", lambda r, h, b: (200, {}))
        with self.env["mfg.integration.telemetry"]._span("request", kind="server"):
            self.env["test.mfg.integration.echo.call"]._command_traced(
                SimpleNamespace(correlation_id="c-1"), {"name": "X"}
            )
        self.endpoint._drain()
        delivery = self.span("POST")
        self.assertEqual(delivery.status.status_code, StatusCode.ERROR)
        self.assertEqual(delivery.attributes["http.response.status_code"], 503)
        self.assertEqual(delivery.attributes["error.type"], "503")

    def test_a_drains_next_round_starts_a_trace_of_its_own(self):
        self.receiver.respond = lambda receiver, headers, body: (503, {})
        self.addCleanup(setattr, self.receiver, "respond", lambda r, h, b: (200, {}))
        with self.env["mfg.integration.telemetry"]._span("request", kind="server"):
            self.env["test.mfg.integration.echo.call"]._command_traced(
                SimpleNamespace(correlation_id="c-2"), {"name": "Y"}
            )
        Job = self.env["queue.job"]
        drains = [("model_name", "=", self.endpoint._name), ("state", "=", "pending")]
        first = Job.search(drains, order="id desc", limit=1)
        self.run_job(first)
        # refused: the drain enqueued its next round, for when the retry is due
        next_round = Job.search(drains, order="id desc", limit=1)
        self.assertTrue(next_round.eta)
        self.assertFalse(next_round.mfg_traceparent)
        delivery = self.env["mfg.integration.webhook.delivery"].search(
            [("endpoint_id", "=", self.endpoint.id)], order="id desc", limit=1
        )
        delivery.next_attempt_at = fields.Datetime.now()
        self.receiver.respond = lambda receiver, headers, body: (200, {})
        self.run_job(next_round)
        emit = self.span(f"emit {EVENT_TYPE}")
        first_drain, next_drain = (
            span for span in self.finished() if span.name.startswith("process ")
        )
        refused, delivered = (span for span in self.finished() if span.name == "POST")
        self.assertChildOf(first_drain, emit)
        self.assertChildOf(refused, first_drain)
        self.assertIsNone(next_drain.parent)
        self.assertNotEqual(next_drain.context.trace_id, emit.context.trace_id)
        # its delivery stays in the event's trace, linked to the round that sent it
        self.assertChildOf(delivered, emit)
        self.assertEqual(
            [link.context.span_id for link in delivered.links], [next_drain.context.span_id]
        )


@tagged("post_install", "-at_install")
class TestTraceOverTheBroker(TraceCase):
    def test_the_command_consumer_continues_the_messages_trace(self):
        queue = self.env["mfg.integration.broker.queue"].create(
            {
                "name": f"{self.prefix}.commands",
                "connection_id": self.connection.id,
                "client_id": self.client.id,
            }
        )
        message = ReceivedMessage(
            body=json.dumps({"name": "Grace"}).encode(),
            headers={"ce-type": "test.traced", "traceparent": CALLER_TRACEPARENT},
            content_type="application/json",
            message_id="msg-1",
            correlation_id="corr-1",
            reply_to="replies",
            delivery_count=0,
        )
        outcome = queue._consume(message)
        self.assertEqual(outcome.action, "ack")
        consumer = self.span(f"process {queue.name}")
        self.assertEqual(consumer.kind, SpanKind.CONSUMER)
        self.assertEqual(f"{consumer.parent.span_id:016x}", CALLER_SPAN_ID)
        self.assertEqual(
            {
                key: consumer.attributes.get(key)
                for key in (
                    "messaging.system",
                    "messaging.destination.name",
                    "messaging.message.id",
                    "mfg.response.status",
                )
            },
            {
                "messaging.system": "rabbitmq",
                "messaging.destination.name": queue.name,
                "messaging.message.id": "msg-1",
                "mfg.response.status": 200,
            },
        )
        self.assertEqual(outcome.response.headers["traceparent"], self.traceparent(consumer))
        self.assertChildOf(self.span("apply test.traced.v1"), consumer)

    def test_each_publish_is_a_producer_span_whose_traceparent_the_message_carries(self):
        sink = self.env["mfg.integration.broker.sink"].create(
            {
                "name": "Traced analytics",
                "connection_id": self.connection.id,
                "exchange": f"{self.prefix}.events",
                "event_types": EVENT_TYPE,
                "routing_key_template": "{type}",
            }
        )
        channel = self.amqp()
        self.addCleanup(
            lambda: channel.connection.is_open and channel.exchange_delete(sink.exchange)
        )
        queue = f"{self.prefix}.analytics"
        sink.binding_ids = [(0, 0, {"queue": queue, "binding_key": "#"})]
        self.forget_queue(channel, queue, f"{queue}.dead")
        sink.action_declare_topology()
        Call = self.env["test.mfg.integration.echo.call"]
        context = SimpleNamespace(correlation_id="corr-2")
        with self.env["mfg.integration.telemetry"]._span("request", kind="server"):
            Call._command_traced(context, {"name": "one"})
            Call._command_traced(context, {"name": "two"})
        job = self.env["queue.job"].search(
            [("model_name", "=", sink._name), ("state", "=", "pending")], order="id", limit=1
        )
        self.run_job(job)
        drain = self.span("process mfg.integration.broker.sink._drain")
        publishes = [s for s in self.finished() if s.name == f"publish {sink.exchange}"]
        self.assertEqual(len(publishes), 2)
        for publish in publishes:
            self.assertEqual(publish.kind, SpanKind.PRODUCER)
            self.assertChildOf(publish, drain)  # side by side, not nested
            self.assertEqual(publish.attributes["messaging.system"], "rabbitmq")
            self.assertEqual(publish.attributes["messaging.destination.name"], sink.exchange)
        received = {
            properties.message_id: properties.headers["traceparent"]
            for _method, properties, _body in self.take(channel, queue)
        }
        self.assertEqual(
            received,
            {
                publish.attributes["messaging.message.id"]: self.traceparent(publish)
                for publish in publishes
            },
        )
