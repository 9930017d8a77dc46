"""Demo trace collector: receives the plant's OpenTelemetry spans over OTLP/HTTP
and prints each trace as a tree once it is complete.

    python demo/traces.py                  # listens on 127.0.0.1:4318
    python demo/traces.py --port 4318 --quiet-seconds 3

`setup/start --observe` runs it and points Odoo and the command consumer at it
with `OTEL_EXPORTER_OTLP_ENDPOINT`. It decodes each ExportTraceServiceRequest
as a collector would, so it stands in for Jaeger, Tempo or an OpenTelemetry
Collector on a machine that has none. A trace is printed when no span of it has
arrived for a few seconds:

    trace 0af7651916cd43dd8448eb211c80319c
      SERVER    POST /api/mfg/v1/production-orders/{id}/confirmations   pid 4711   182.4 ms
        INTERNAL  apply production_order.confirm                       pid 4711   171.0 ms
          PRODUCER  emit mrp.production.done.v1                         pid 4711     3.2 ms
            CONSUMER  process mfg.integration.webhook.endpoint._drain   pid 4712    41.7 ms
              CLIENT    POST                                            pid 4712    12.9 ms
"""

import argparse
import signal
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span


def decoded(span, resource):
    """A span of an export request as a plain dict."""
    attributes = {}
    for item in span.attributes:
        value = item.value
        kind = value.WhichOneof("value")
        attributes[item.key] = getattr(value, kind) if kind else None
    return {
        "name": span.name,
        "kind": Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_span_id": span.parent_span_id.hex(),
        "start": span.start_time_unix_nano,
        "duration_ms": (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6,
        "attributes": attributes,
        "pid": resource.get("process.pid"),
        "service": resource.get("service.name"),
    }


class TraceCollector:
    """An OTLP/HTTP traces endpoint (``POST /v1/traces``, protobuf) that keeps
    every span it was sent, decoded."""

    def __init__(self, host="127.0.0.1", port=0):
        self.spans = []
        self.received_at = {}  # trace id: when its last span arrived
        self._lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    request = ExportTraceServiceRequest.FromString(body)
                except Exception:
                    self.send_error(400, "not an OTLP ExportTraceServiceRequest")
                    return
                collector._keep(request)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.endpoint = f"http://{host}:{self.server.server_address[1]}"
        self.url = f"{self.endpoint}/v1/traces"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _keep(self, request):
        spans = []
        for resource_spans in request.resource_spans:
            resource = {
                item.key: item.value.string_value or item.value.int_value
                for item in resource_spans.resource.attributes
            }
            for scope_spans in resource_spans.scope_spans:
                spans.extend(decoded(span, resource) for span in scope_spans.spans)
        with self._lock:
            self.spans.extend(spans)
            for span in spans:
                self.received_at[span["trace_id"]] = time.monotonic()

    def of_trace(self, trace_id):
        with self._lock:
            return [span for span in self.spans if span["trace_id"] == trace_id]

    def pop_trace(self, trace_id):
        """The spans of a trace, forgotten once returned."""
        with self._lock:
            spans = [span for span in self.spans if span["trace_id"] == trace_id]
            self.spans = [span for span in self.spans if span["trace_id"] != trace_id]
            return spans

    def quiet_traces(self, seconds):
        """Trace ids whose last span arrived more than ``seconds`` ago; they
        are forgotten once returned."""
        now = time.monotonic()
        with self._lock:
            done = [trace for trace, at in self.received_at.items() if now - at > seconds]
            for trace in done:
                del self.received_at[trace]
            return done

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# deeper spans are drawn at this indentation, their depth in brackets
MAX_INDENT = 24


def tree_lines(spans):
    """The spans of one trace as indented lines, each child under its parent.

    Any span graph renders, without recursion: a span id received more than
    once is drawn once (marked), a span whose parent is not among ``spans`` (the
    caller's, or one printed before) starts a tree of its own, and a parent
    cycle is cut at its earliest span (marked)."""
    ordered = sorted(spans, key=lambda span: span["start"])
    by_id, received = {}, {}
    for span in ordered:
        by_id.setdefault(span["span_id"], span)
        received[span["span_id"]] = received.get(span["span_id"], 0) + 1
    children = {}
    for span in by_id.values():
        parent = span["parent_span_id"]
        if parent in by_id and parent != span["span_id"]:
            children.setdefault(parent, []).append(span)
    roots = [
        span
        for span in by_id.values()
        if span["parent_span_id"] not in by_id or span["parent_span_id"] == span["span_id"]
    ]
    lines, drawn = [], set()

    def draw(root, note=""):
        stack = [(root, 0, note)]
        while stack:
            span, depth, note = stack.pop()
            if span["span_id"] in drawn:
                continue
            drawn.add(span["span_id"])
            times = received[span["span_id"]]
            notes = [note] if note else []
            if times > 1:
                notes.append(f"received {times} times")
            if span["parent_span_id"] == span["span_id"]:
                notes.append("its own parent")
            indent = "  " * min(depth, MAX_INDENT)
            deep = f"[{depth}] " if depth > MAX_INDENT else ""
            label = f"{indent}{deep}{span['kind']:<9} {span['name']}"
            line = f"  {label:<72} pid {span['pid']}  {span['duration_ms']:8.1f} ms"
            lines.append(f"{line}  ({', '.join(notes)})" if notes else line)
            below = children.get(span["span_id"], [])
            stack.extend((child, depth + 1, "") for child in reversed(below))

    for root in roots:
        draw(root)
    # what is left is a parent cycle or below one: cut each cycle at its earliest span
    for span in ordered:
        if span["span_id"] not in drawn:
            draw(_earliest_in_cycle(span, by_id), "in a parent cycle")
    return lines


def _earliest_in_cycle(span, by_id):
    """The earliest span of the parent cycle above ``span`` (every span up
    from it has its parent in ``by_id``)."""
    position = {}
    while span["span_id"] not in position:
        position[span["span_id"]] = len(position)
        span = by_id[span["parent_span_id"]]
    cycle = list(position)[position[span["span_id"]] :]
    return min((by_id[span_id] for span_id in cycle), key=lambda span: span["start"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument(
        "--quiet-seconds",
        type=float,
        default=6.0,
        help="print a trace once no span of it arrived for this long (default 6: "
        "spans are exported every 5 s)",
    )
    args = parser.parse_args()
    collector = TraceCollector(args.host, args.port)
    print(f"traces: OTLP/HTTP on {collector.url}", flush=True)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        while not stopping.wait(1.0):
            for trace_id in collector.quiet_traces(args.quiet_seconds):
                spans = collector.pop_trace(trace_id)
                try:
                    print(f"trace {trace_id}", *tree_lines(spans), sep="\n", flush=True)
                except Exception:
                    # one trace the collector cannot draw must not stop it
                    print(f"trace {trace_id}: {len(spans)} spans not drawn", flush=True)
                    traceback.print_exc()
    except KeyboardInterrupt:
        pass
    collector.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
