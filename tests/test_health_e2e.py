"""A receiver that stops answering turns into a congestion warning before any
delivery is dead, on a real server with workers, the job runner and crons run
as the scheduler runs them; the warning settles once the receiver is back."""

import uuid

import pytest
from harness import wait_for

from odoo.addons.mfg_integration_webhook.tests.receiver import Receiver

SLA_SECONDS = 20


@pytest.fixture(scope="module")
def failing_receiver():
    server = Receiver()
    server.respond = lambda receiver, headers, body: (503, {})
    yield server
    server.stop()


def trigger(server, xmlid):
    cron = server.call("ir.model.data", "check_object_reference", *xmlid.split("."))[1]
    server.call("ir.cron", "method_direct_trigger", [cron])


def test_a_failing_receiver_warns_before_any_delivery_is_dead(odoo_server, failing_receiver):
    server = odoo_server
    server.login()
    call = server.call
    name = f"Health E2E receiver {uuid.uuid4().hex[:8]}"
    endpoint = call(
        "mfg.integration.webhook.endpoint",
        "create",
        {
            "name": name,
            "url": failing_receiver.url,
            "allow_insecure": True,
            "event_types": "mrp.production.*",
            # many attempts far apart: nothing can be dead while the test watches
            "retry_schedule": "3,3,3,3,3,3,3,3,3,3",
            "max_attempts": 40,
            "failure_threshold": 100,
            "delivery_sla_seconds": SLA_SECONDS,
        },
    )
    call("mfg.integration.webhook.endpoint", "action_generate_secret", [endpoint])
    product = call("product.product", "create", {"name": "Health Valve", "is_storable": True})
    template = call("product.product", "read", [product], ["product_tmpl_id"])[0][
        "product_tmpl_id"
    ][0]
    call("mrp.bom", "create", {"product_tmpl_id": template, "product_qty": 1})
    productions = [
        call("mrp.production", "create", {"product_id": product, "product_qty": 1})
        for _index in range(6)
    ]
    call("mrp.production", "action_confirm", productions)
    assert wait_for(lambda: len(failing_receiver.requests) >= 3, timeout=60), "the drain runs"

    def forecast():
        trigger(server, "mfg_integration_observability.ir_cron_health_congestion")
        found = call(
            "mfg.integration.congestion",
            "search_read",
            [
                ("subscriber_model", "=", "mfg.integration.webhook.endpoint"),
                ("subscriber_id", "=", endpoint),
            ],
            ["breach", "trend", "backlog", "reason", "forecast_label"],
        )
        return found[0] if found and found[0]["breach"] else None

    assert wait_for(forecast, timeout=90, interval=2), "a congestion warning"
    warning = forecast()
    assert warning["backlog"] >= 6
    assert warning["trend"] in ("growing", "stalled")
    assert f"SLA {SLA_SECONDS} s" in warning["reason"]
    dead = call(
        "mfg.integration.webhook.delivery",
        "search_count",
        [("endpoint_id", "=", endpoint), ("state", "=", "dead")],
    )
    assert dead == 0, "the warning came before any delivery ran out of attempts"
    exceptions = call(
        "mfg.integration.exception",
        "search_read",
        [("category", "=", "congestion"), ("source_model", "=", "mfg.integration.congestion")],
        ["name", "state", "detail"],
    )
    mine = [e for e in exceptions if name in e["name"]]
    assert len(mine) == 1 and mine[0]["state"] == "new", exceptions
    assert "left (0.0/min)" in mine[0]["detail"]

    # the receiver is back: the backlog drains and the warning settles by itself
    failing_receiver.respond = lambda receiver, headers, body: (200, {})
    assert wait_for(
        lambda: call(
            "mfg.integration.webhook.delivery",
            "search_count",
            [("endpoint_id", "=", endpoint), ("state", "in", ["pending", "retrying"])],
        )
        == 0,
        timeout=120,
    )
    assert wait_for(lambda: forecast() is None, timeout=30, interval=2)
    exception = call("mfg.integration.exception", "read", [mine[0]["id"]], ["state"])[0]
    assert exception["state"] == "resolved"
