"""Tracing into memory, for tests: every finished span, synchronously."""

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from .. import tracing

KIND = {
    "server": SpanKind.SERVER,
    "client": SpanKind.CLIENT,
    "producer": SpanKind.PRODUCER,
    "consumer": SpanKind.CONSUMER,
    "internal": SpanKind.INTERNAL,
}
CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"
CALLER_TRACEPARENT = f"00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01"


class TracingMixin:
    """``self.exporter`` receives the spans of the test; ``self.spans(name)``."""

    def start_tracing(self):
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        tracing.use_provider(provider)
        self.addCleanup(tracing.use_provider, None)
        self.addCleanup(provider.shutdown)

    def finished(self):
        return list(self.exporter.get_finished_spans())

    def span(self, name):
        """The one finished span called ``name``."""
        found = [span for span in self.finished() if span.name == name]
        self.assertEqual(len(found), 1, f"one span {name!r} in {[s.name for s in self.finished()]}")
        return found[0]

    def assertChildOf(self, child, parent):
        self.assertEqual(child.context.trace_id, parent.context.trace_id)
        self.assertIsNotNone(child.parent, f"{child.name} has no parent")
        self.assertEqual(
            child.parent.span_id,
            parent.context.span_id,
            f"{child.name} is a child of {parent.name}",
        )

    @staticmethod
    def traceparent(span):
        return tracing.traceparent_of(span.context)
