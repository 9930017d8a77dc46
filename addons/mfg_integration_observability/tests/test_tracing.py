"""Spans of the telemetry service, traced into memory with the OpenTelemetry SDK."""

import os
import socket
from unittest.mock import patch

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, StatusCode

from odoo.tests import BaseCase, TransactionCase, tagged

from odoo.addons.queue_job.job import Job

from .. import tracing
from ..controllers.runjob import TracedRunJobController
from .common import CALLER_SPAN_ID, CALLER_TRACE_ID, CALLER_TRACEPARENT, TracingMixin

TYPE = "test.observability.unit.v1"
OTEL_FREE = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}


class TestConfiguration(BaseCase):
    """Which exporter the standard OTEL_* variables ask for."""

    def test_off_unless_configured(self):
        self.assertIsNone(tracing.configured_exporter({}))
        self.assertIsNone(tracing.configured_exporter({"OTEL_SERVICE_NAME": "odoo"}))
        self.assertIsNone(tracing.configured_exporter({"OTEL_TRACES_EXPORTER": "none"}))
        self.assertIsNone(
            tracing.configured_exporter(
                {
                    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
                    "OTEL_SDK_DISABLED": "true",
                }
            )
        )

    def test_an_endpoint_or_the_exporter_turns_it_on(self):
        for environ in (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"},
            {"OTEL_TRACES_EXPORTER": "otlp"},
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
        ):
            with self.subTest(environ=environ):
                self.assertEqual(tracing.configured_exporter(environ), "otlp")
        self.assertEqual(
            tracing.configured_exporter({"OTEL_TRACES_EXPORTER": "console"}), "console"
        )

    def test_what_it_cannot_use_is_named(self):
        with self.assertRaisesRegex(ValueError, "OTEL_TRACES_EXPORTER='zipkin'.*otlp, console"):
            tracing.configured_exporter({"OTEL_TRACES_EXPORTER": "zipkin"})
        with self.assertRaisesRegex(ValueError, "only http/protobuf.*4318"):
            tracing.configured_exporter(
                {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
            )

    def test_traceparent_parsing(self):
        context = tracing.span_context_of(CALLER_TRACEPARENT)
        self.assertEqual(f"{context.trace_id:032x}", CALLER_TRACE_ID)
        self.assertEqual(tracing.traceparent_of(context), CALLER_TRACEPARENT)
        for malformed in (None, "", "00-xyz", f"00-{'0' * 32}-{CALLER_SPAN_ID}-01"):
            self.assertIsNone(tracing.span_context_of(malformed))


@tagged("post_install", "-at_install")
class TestTracingOff(TransactionCase):
    def test_unconfigured_traces_nothing_and_hands_the_traceparent_on(self):
        with patch.dict(os.environ, OTEL_FREE, clear=True):
            tracing.use_provider(None)
            self.assertIsNone(tracing.tracer())
            Telemetry = self.env["mfg.integration.telemetry"]
            with Telemetry._span("anything", kind="server", traceparent=CALLER_TRACEPARENT) as span:
                span.set_attribute("http.route", "/x")
                span.set_error("ignored")
                self.assertEqual(span.traceparent, CALLER_TRACEPARENT)
                job = self.env["res.partner"].with_delay()._compute_display_name()
            self.assertFalse(job.db_record().mfg_traceparent)
            self.assertIsNone(tracing.current_traceparent())

    def test_a_bad_configuration_leaves_tracing_off(self):
        with patch.dict(os.environ, {**OTEL_FREE, "OTEL_TRACES_EXPORTER": "jaeger"}, clear=True):
            tracing.use_provider(None)
            with self.assertLogs(tracing.__name__, "ERROR") as logged:
                self.assertIsNone(tracing.tracer())
            self.assertIn("jaeger", logged.output[0])
        tracing.use_provider(None)

    def test_the_environment_configures_the_otlp_exporter(self):
        environ = {
            **OTEL_FREE,
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
            "OTEL_SERVICE_NAME": "plant-odoo",
        }
        with patch.dict(os.environ, environ, clear=True):
            tracing.use_provider(None)
            self.addCleanup(tracing.use_provider, None)
            provider = tracing.provider()
            self.addCleanup(provider.shutdown)
            self.assertEqual(provider.resource.attributes["service.name"], "plant-odoo")
            processor = provider._active_span_processor._span_processors[0]
            self.assertIsInstance(processor, BatchSpanProcessor)
            exporter = processor._batch_processor._exporter
            self.assertIsInstance(exporter, OTLPSpanExporter)
            self.assertEqual(exporter._endpoint, "http://127.0.0.1:4318/v1/traces")
            # the same provider for the whole process, until it forks
            self.assertIs(tracing.provider(), provider)


@tagged("post_install", "-at_install")
class TestSpans(TracingMixin, TransactionCase):
    def setUp(self):
        super().setUp()
        self.start_tracing()
        self.Telemetry = self.env["mfg.integration.telemetry"]

    def test_a_span_continues_the_callers_traceparent(self):
        with self.Telemetry._span(
            "POST /api/mfg/v1/things",
            kind="server",
            traceparent=CALLER_TRACEPARENT,
            attributes={"http.request.method": "POST", "user_agent.original": None},
        ) as span:
            span.set_attribute("http.response.status_code", 201)
        server = self.span("POST /api/mfg/v1/things")
        self.assertEqual(server.kind, SpanKind.SERVER)
        self.assertEqual(f"{server.context.trace_id:032x}", CALLER_TRACE_ID)
        self.assertEqual(f"{server.parent.span_id:016x}", CALLER_SPAN_ID)
        self.assertTrue(server.parent.is_remote)
        self.assertEqual(span.traceparent, self.traceparent(server))
        self.assertEqual(
            dict(server.attributes),
            {"http.request.method": "POST", "http.response.status_code": 201},
        )

    def test_spans_nest_and_a_malformed_traceparent_starts_a_trace(self):
        with self.Telemetry._span("outer", traceparent="00-not-a-trace"):
            with self.Telemetry._span("inner", kind="producer") as inner:
                self.assertEqual(tracing.current_traceparent(), inner.traceparent)
        outer = self.span("outer")
        self.assertIsNone(outer.parent)
        self.assertNotEqual(f"{outer.context.trace_id:032x}", CALLER_TRACE_ID)
        self.assertChildOf(self.span("inner"), outer)
        self.assertEqual(self.span("inner").kind, SpanKind.PRODUCER)
        self.assertIsNone(tracing.current_traceparent())

    def test_the_current_span_of_the_same_trace_is_the_nearer_parent(self):
        with self.Telemetry._span("emit", kind="producer") as emit:
            stored = emit.traceparent
        with self.Telemetry._span("job", kind="consumer", traceparent=stored) as job:
            # a delivery of an event of the job's own trace
            with self.Telemetry._span("POST", kind="client", traceparent=stored):
                pass
            # a delivery of an event that another request emitted
            with self.Telemetry._span("POST other", kind="client", traceparent=CALLER_TRACEPARENT):
                pass
        self.assertChildOf(self.span("job"), self.span("emit"))
        self.assertChildOf(self.span("POST"), self.span("job"))
        other = self.span("POST other")
        self.assertEqual(f"{other.parent.span_id:016x}", CALLER_SPAN_ID)
        self.assertEqual(
            [tracing.traceparent_of(link.context) for link in other.links], [job.traceparent]
        )

    def test_spans_side_by_side_are_not_current(self):
        with self.Telemetry._span("job", kind="consumer"):
            first = self.Telemetry._span("publish a", kind="producer", current=False)
            second = self.Telemetry._span("publish b", kind="producer", current=False)
            with first, second:
                pass
        self.assertChildOf(self.span("publish a"), self.span("job"))
        self.assertChildOf(self.span("publish b"), self.span("job"))

    def test_an_error_is_recorded_and_raised(self):
        with self.assertRaisesRegex(KeyError, "no-such-field"):
            with self.Telemetry._span("apply"):
                raise KeyError("no-such-field")
        apply = self.span("apply")
        self.assertEqual(apply.status.status_code, StatusCode.ERROR)
        self.assertIn("KeyError", apply.status.description)
        self.assertEqual(apply.events[0].name, "exception")
        with self.Telemetry._span("delivery", kind="client") as span:
            span.set_error("HTTP 503")
        self.assertEqual(self.span("delivery").status.description, "HTTP 503")
        with self.assertRaisesRegex(ValueError, "Span kind 'rpc' is none of server"):
            with self.Telemetry._span("bad", kind="rpc"):
                pass

    def test_the_outbox_emit_is_a_producer_span_that_the_event_carries(self):
        self.env["mfg.integration.event.type"].create({"name": TYPE})
        partner = self.env["res.partner"].create({"name": "Traced"})
        Event = self.env["mfg.integration.event"]
        with self.Telemetry._span("request", kind="server", traceparent=CALLER_TRACEPARENT) as req:
            with self.Telemetry._span("apply"):
                event = Event.with_context(mfg_traceparent=req.traceparent)._emit(
                    TYPE, partner, {"step": 1}
                )
        emit = self.span(f"emit {TYPE}")
        self.assertEqual(emit.kind, SpanKind.PRODUCER)
        self.assertChildOf(emit, self.span("apply"))
        self.assertEqual(event.traceparent, self.traceparent(emit))
        self.assertEqual(
            {key: emit.attributes[key] for key in ("messaging.destination.name", "db.system")},
            {"messaging.destination.name": TYPE, "db.system": "postgresql"},
        )
        self.assertEqual(emit.attributes["messaging.message.id"], event.event_uid)
        # emitted outside any request: the event starts a trace of its own
        lone = Event._emit(TYPE, partner, {"step": 2})
        self.assertEqual(lone.traceparent, self.traceparent(self.finished()[-1]))
        self.assertIsNone(self.finished()[-1].parent)

    def test_a_job_keeps_the_trace_that_enqueued_it(self):
        partner = self.env["res.partner"].create({"name": "Traced job"})
        with self.Telemetry._span(f"emit {TYPE}", kind="producer") as emit:
            delayed = partner.with_delay(channel="root")._compute_display_name()
        record = delayed.db_record()
        self.assertEqual(record.mfg_traceparent, emit.traceparent)
        # the job runner's request performs it in a span that continues that trace
        job = Job.load(self.env, record.uuid)
        job.set_enqueued()
        with patch.object(self.env.cr, "commit", lambda: None):
            TracedRunJobController()._try_perform_job(self.env, job)
        self.assertEqual(record.state, "done")
        span = self.span("process res.partner._compute_display_name")
        self.assertEqual(span.kind, SpanKind.CONSUMER)
        self.assertChildOf(span, self.span(f"emit {TYPE}"))
        self.assertEqual(
            {
                key: span.attributes[key]
                for key in ("messaging.system", "messaging.message.id", "db.system")
            },
            {
                "messaging.system": "queue_job",
                "messaging.message.id": record.uuid,
                "db.system": "postgresql",
            },
        )


@tagged("post_install", "-at_install")
class TestCollectorDown(TransactionCase):
    def test_an_unreachable_collector_fails_no_request(self):
        with socket.socket() as sock:  # a port where nothing listens
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", timeout=1)
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(exporter))
        tracing.use_provider(provider)
        self.addCleanup(tracing.use_provider, None)
        self.addCleanup(provider.shutdown)
        Telemetry = self.env["mfg.integration.telemetry"]
        for index in range(50):
            with Telemetry._span(f"request {index}", kind="server") as span:
                self.assertTrue(span.traceparent.startswith("00-"))
        # the export fails in the processor's thread, and says so: nothing raises here
        with self.assertLogs("opentelemetry", "ERROR"):
            provider.force_flush(timeout_millis=5000)
