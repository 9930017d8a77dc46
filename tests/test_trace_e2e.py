"""One trace across real processes: a request to an HTTP worker, the job that
the job runner starts in another request, and the webhook receiver.

The server exports its spans with OTLP over HTTP, configured by the standard
OTEL_* variables only, to the demo's trace collector (demo/traces.py), which
decodes each ExportTraceServiceRequest as a collector would.
"""

import json
import os
import uuid
from unittest.mock import patch

import pytest
import requests
from harness import start_server, stop_server, wait_for
from traces import TraceCollector

from odoo.addons.mfg_integration_webhook.tests.receiver import Receiver

CALLER_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN_ID = "b7ad6b7169203331"
EVENT_TYPE = "test.observability.traced.v1"
ROUTE = "POST /api/mfg/v1/test/traced"


@pytest.fixture(scope="module")
def collector():
    receiver = TraceCollector()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def webhook_receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def traced_server(tmp_path_factory, collector):
    """A server of its own (two workers and the job runner) on a copy of the
    test database, tracing to the collector."""
    db = os.environ.get("MFG_TRACE_DB")
    if not db:
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    environ = {
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": collector.url,
        "OTEL_SERVICE_NAME": "odoo-e2e",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    log_path = tmp_path_factory.mktemp("odoo-trace") / "server.log"
    with patch.dict(os.environ, environ):
        try:
            process, server = start_server(
                os.environ["MFG_ODOO_SRC"], os.environ["MFG_E2E_CONF"], db, log_path
            )
        except RuntimeError as error:
            pytest.fail(str(error))
    yield server
    stop_server(process)


@pytest.fixture(scope="module")
def traced_client(traced_server, webhook_receiver):
    """An approved API client with a key, and an endpoint that takes the
    traced command's event."""
    server = traced_server
    # the database may have served a run before
    client, key = server.approved_client(f"TRC-{uuid.uuid4().hex[:8]}", ["mapping:read"])
    call = server.call
    endpoint = call(
        "mfg.integration.webhook.endpoint",
        "create",
        {
            "name": "Traced receiver",
            "url": webhook_receiver.url,
            "allow_insecure": True,
            "event_types": EVENT_TYPE,
        },
    )
    call("mfg.integration.webhook.endpoint", "action_generate_secret", [endpoint])
    return key


@pytest.mark.parametrize("run", [1, 2, 3])
def test_one_trace_from_the_caller_to_the_webhook_receiver(
    run, traced_server, traced_client, collector, webhook_receiver
):
    trace_id = f"{CALLER_TRACE_ID[:-1]}{run}"
    response = requests.post(
        f"{traced_server.url}/api/mfg/v1/test/traced",
        json={"name": f"trace {run}"},
        headers={
            "Authorization": f"Bearer {traced_client}",
            "traceparent": f"00-{trace_id}-{CALLER_SPAN_ID}-01",
        },
        timeout=60,
    )
    assert response.status_code == 200, response.text
    event_uid = response.json()["event"]

    def delivered():
        return [
            request
            for request in webhook_receiver.requests
            if request["headers"].get("webhook-id") == event_uid
        ]

    assert wait_for(delivered, timeout=120), "the webhook never arrived"

    def chain():
        """The delivery's span to this receiver, then its ancestors, nearest first."""
        by_id = {span["span_id"]: span for span in collector.of_trace(trace_id)}
        deliveries = [
            span
            for span in by_id.values()
            if span["name"] == "POST" and span["attributes"].get("url.full") == webhook_receiver.url
        ]
        found = deliveries[:1]
        while found and found[-1]["parent_span_id"] in by_id:
            found.append(by_id[found[-1]["parent_span_id"]])
        return found

    # spans are exported in batches, a moment after they end
    assert wait_for(
        lambda: len(chain()) == 5, timeout=60
    ), f"spans of the trace: {[s['name'] for s in collector.of_trace(trace_id)]}"
    delivery, job, emit, apply, server = chain()
    # one trace, in parent order: caller -> request -> apply -> emit -> job -> delivery
    assert [span["name"] for span in (server, apply, emit, job)] == [
        ROUTE,
        "apply test.traced.v1",
        f"emit {EVENT_TYPE}",
        "process mfg.integration.webhook.endpoint._drain",
    ]
    assert server["parent_span_id"] == CALLER_SPAN_ID
    assert [span["kind"] for span in (server, apply, emit, job, delivery)] == [
        "SERVER",
        "INTERNAL",
        "PRODUCER",
        "CONSUMER",
        "CLIENT",
    ]
    assert server["attributes"]["http.route"] == "/api/mfg/v1/test/traced"
    assert server["attributes"]["http.response.status_code"] == 200
    assert job["attributes"]["messaging.system"] == "queue_job"
    assert delivery["attributes"]["url.full"] == webhook_receiver.url
    assert delivery["attributes"]["http.response.status_code"] == 200
    assert {span["service"] for span in chain()} == {"odoo-e2e"}
    # the answer names the request's span; the receiver got the delivery's
    assert response.headers["traceparent"] == f"00-{trace_id}-{server['span_id']}-01"
    (request,) = delivered()
    assert request["headers"]["traceparent"] == f"00-{trace_id}-{delivery['span_id']}-01"
    # the event itself carries the emit's span, as stored in the outbox
    assert json.loads(request["body"])["traceparent"] == f"00-{trace_id}-{emit['span_id']}-01"
    # and the whole trace, once no more of it arrives, is one tree below the caller
    counts = []

    def settled():
        counts.append(len(collector.of_trace(trace_id)))
        return len(counts) >= 5 and len(set(counts[-5:])) == 1

    assert wait_for(settled, timeout=30), "spans of the trace kept arriving"
    assert_one_tree(collector.of_trace(trace_id), CALLER_SPAN_ID)


def assert_one_tree(spans, caller_span_id):
    """No span id twice, every span's parent in the trace or the caller's, no
    parent cycle: every span's ancestors lead to the caller's span."""
    ids = [span["span_id"] for span in spans]
    assert len(set(ids)) == len(ids), f"span ids received twice: {sorted(ids)}"
    by_id = {span["span_id"]: span for span in spans}
    for span in spans:
        path = [span["name"]]
        while span["parent_span_id"] != caller_span_id:
            assert span["parent_span_id"] in by_id, f"{path[-1]!r}: its parent is not in the trace"
            span = by_id[span["parent_span_id"]]
            path.append(span["name"])
            assert len(path) <= len(spans), f"a parent cycle: {path}"
