"""The demo trace collector (demo/traces.py) draws any span graph it is sent:
duplicate span ids, orphans, parent cycles and deep chains, and keeps running."""

import re
import subprocess
import sys
import time
from pathlib import Path

import requests
from harness import free_port, wait_for
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from traces import MAX_INDENT, tree_lines

TRACES = Path(__file__).resolve().parent.parent / "demo" / "traces.py"
TRACE_ID = "5b8efff798038103d269b633813fc60c"
LINE = re.compile(
    r"^  (?P<indent> *)(?:\[(?P<depth>\d+)\] )?(?P<kind>\S+) +(?P<name>\S+) +pid \S+ +[\d.]+ ms"
    r"(?:  \((?P<notes>.*)\))?$"
)


def span(span_id, parent="", start=0, name=None):
    return {
        "name": name or span_id,
        "kind": "INTERNAL",
        "trace_id": TRACE_ID,
        "span_id": span_id,
        "parent_span_id": parent,
        "start": start,
        "duration_ms": 1.0,
        "attributes": {},
        "pid": 4711,
        "service": "odoo",
    }


def drawn(spans):
    """(depth, name, notes) of each line that tree_lines draws."""
    found = []
    for line in tree_lines(spans):
        match = LINE.match(line)
        assert match, f"not a span line: {line!r}"
        depth = int(match["depth"] or len(match["indent"]) // 2)
        found.append((depth, match["name"], match["notes"] or ""))
    return found


def test_children_under_their_parent_in_start_order():
    spans = [
        span("b", "a", 2),
        span("c", "a", 1),
        span("d", "c", 3),
        span("a", "caller", 0),
    ]
    assert drawn(spans) == [(0, "a", ""), (1, "c", ""), (2, "d", ""), (1, "b", "")]


def test_a_span_received_twice_is_drawn_once():
    spans = [span("a", "", 0), span("b", "a", 1), span("b", "a", 1), span("c", "b", 2)]
    assert drawn(spans) == [(0, "a", ""), (1, "b", "received 2 times"), (2, "c", "")]


def test_an_orphan_starts_a_tree_of_its_own():
    # its parent was printed with an earlier part of the trace, or never arrived
    spans = [span("a", "", 0), span("late", "printed-before", 5), span("x", "late", 6)]
    assert drawn(spans) == [(0, "a", ""), (0, "late", ""), (1, "x", "")]


def test_a_parent_cycle_is_cut_at_its_earliest_span():
    spans = [
        span("root", "", 0),
        span("b", "a", 2),
        span("a", "b", 1),
        span("below", "b", 3),
        span("self", "self", 4),
    ]
    assert drawn(spans) == [
        (0, "root", ""),
        (0, "self", "its own parent"),
        (0, "a", "in a parent cycle"),
        (1, "b", ""),
        (2, "below", ""),
    ]


def test_a_span_id_reused_with_another_parent_makes_no_loop():
    # the first one received stands; the other one's parent is ignored
    spans = [span("a", "", 0), span("b", "a", 1), span("a", "b", 2)]
    assert drawn(spans) == [(0, "a", "received 2 times"), (1, "b", "")]


def test_a_deep_chain_is_drawn_whole():
    chain = [span(f"s{index}", f"s{index - 1}" if index else "", index) for index in range(5000)]
    lines = drawn(chain)
    assert [name for _depth, name, _notes in lines] == [f"s{index}" for index in range(5000)]
    assert [depth for depth, _name, _notes in lines] == list(range(5000))
    # deep lines keep their indentation and say their depth
    assert tree_lines(chain)[4999].startswith("  " + "  " * MAX_INDENT + "[4999] INTERNAL")


def export(url, spans):
    """POST spans as one OTLP ExportTraceServiceRequest; spans: (span id, parent id, name)."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    pid = resource_spans.resource.attributes.add()
    pid.key, pid.value.int_value = "process.pid", 4711
    scope = resource_spans.scope_spans.add()
    now = time.time_ns()
    for index, (span_id, parent_id, name) in enumerate(spans):
        item = scope.spans.add()
        item.trace_id = bytes.fromhex(TRACE_ID)
        item.span_id = bytes.fromhex(span_id)
        item.parent_span_id = bytes.fromhex(parent_id)
        item.name, item.kind = name, Span.SPAN_KIND_INTERNAL
        item.start_time_unix_nano = now + index
        item.end_time_unix_nano = now + index + 1_000_000
    response = requests.post(
        url,
        data=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        timeout=10,
    )
    assert response.status_code == 200


def test_the_collector_prints_a_cyclic_trace_and_runs_on(tmp_path):
    port = free_port()
    log_path = tmp_path / "traces.log"
    with open(log_path, "w") as log:
        collector = subprocess.Popen(
            [sys.executable, str(TRACES), "--port", str(port), "--quiet-seconds", "0.3"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/v1/traces"
        assert wait_for(lambda: "OTLP/HTTP on" in log_path.read_text(), timeout=30)
        a, b, c, d = (letter * 16 for letter in "abcd")
        # a span id sent again below its own child, and a parent cycle
        export(url, [(a, "", "first"), (b, a, "second"), (a, b, "again")])
        export(url, [(c, d, "third"), (d, c, "fourth")])
        assert wait_for(lambda: "fourth" in log_path.read_text(), timeout=30), log_path.read_text()
        export(url, [(a, "", "next")])
        assert wait_for(lambda: "next" in log_path.read_text(), timeout=30), log_path.read_text()
        assert collector.poll() is None, log_path.read_text()
        assert "Traceback" not in log_path.read_text()
    finally:
        collector.terminate()
        collector.wait(timeout=30)
