"""The demo plant as a newcomer runs it: the simulator plays MES, WMS and the
supplier portal against a real server; the demo receiver gets the webhooks.
(MES-02 and the analytics subscriber over RabbitMQ: test_demo_broker_e2e.py.)"""

import os
from urllib.parse import urlsplit

from harness import wait_for
from simulator import Plant


def test_installing_the_demo_twice_created_nothing_twice(demo):
    server, _receiver, credentials = demo
    assert (
        server.call(
            "mfg.integration.system",
            "search_count",
            [("code", "in", ["MES-01", "WMS-01", "SUP-PORTAL", "MES-02"])],
        )
        == 4
    )
    assert (
        server.call("stock.location", "search_count", [("name", "in", ["LINE-1", "LINE-2"])]) == 2
    )
    assert (
        server.call(
            "mrp.bom",
            "search_count",
            [("product_tmpl_id.default_code", "in", ["GX-100", "PM-200"])],
        )
        == 2
    )
    assert (
        server.call(
            "mrp.bom.line", "search_count", [("bom_id.product_tmpl_id.default_code", "=", "GX-100")]
        )
        == 3
    )
    assert (
        server.call(
            "mfg.integration.value.map.line",
            "search_count",
            [("map_id.system_id.code", "=", "MES-01"), ("domain", "=", "uom")],
        )
        == 2
    )
    assert (
        server.call(
            "mfg.integration.value.map.line",
            "search_count",
            [("map_id.system_id.code", "=", "MES-02"), ("domain", "=", "uom")],
        )
        == 2
    )
    assert (
        server.call("mfg.integration.xref", "search_count", [("system_id.code", "=", "MES-02")])
        == 9
    )
    clients = server.call("mfg.integration.client", "search_read", [], ["name", "state"])
    # the six systems' clients (IIOT-01's machines over MQTT, PLM-01's master data)
    # and the monitoring system's (metrics:read)
    assert sorted(c["state"] for c in clients) == ["approved"] * 7
    assert "Plant monitoring (Prometheus)" in {c["name"] for c in clients}
    assert credentials["metrics_key"]
    # MES-02 has no API key: its command queue vouches for it
    assert set(credentials["keys"]) == {"MES-01", "WMS-01", "SUP-PORTAL", "PLM-01"}
    assert len(credentials["purchase_orders"]) == 10
    assert len(credentials["deliveries"]) == 15
    # the broker: one connection, one analytics sink with one queue, one command queue
    connections = server.call(
        "mfg.integration.broker.connection", "search_read", [], ["name", "url", "username"]
    )
    amqp = urlsplit(os.environ["MFG_AMQP_URL"])
    assert [(c["name"], c["username"]) for c in connections] == [
        ("Plant RabbitMQ", amqp.username or "guest")
    ]
    assert "@" not in connections[0]["url"], "the URL keeps no credentials"
    sinks = server.call(
        "mfg.integration.broker.sink", "search_read", [], ["name", "state", "exchange"]
    )
    assert [(s["name"], s["state"], s["exchange"]) for s in sinks] == [
        ("Plant analytics", "active", "mfg.events")
    ]
    bindings = server.call(
        "mfg.integration.broker.binding", "search_read", [], ["queue", "binding_key"]
    )
    assert [(b["queue"], b["binding_key"]) for b in bindings] == [("analytics.events", "#")]
    queues = server.call("mfg.integration.broker.queue", "search_read", [], ["name", "state"])
    assert [(q["name"], q["state"]) for q in queues] == [("mes-02.commands", "active")]
    assert credentials["broker"] == {
        "url": connections[0]["url"],
        "exchange": "mfg.events",
        "event_queues": ["analytics.events"],
        "command_queues": {"MES-02": "mes-02.commands"},
    }


def traffic_proof_configuration(server):
    """What ordinary traffic must never change: the mapping cache generation,
    the governance audit trail and the master-data cross-references."""
    return (
        server.sql("SELECT last_value FROM mfg_integration_mapping_generation"),
        server.sql("SELECT count(*) FROM mfg_integration_audit_log"),
        server.sql("SELECT count(*) FROM mfg_integration_xref"),
    )


def test_short_scenario_end_to_end(demo):
    server, receiver, credentials = demo
    configuration = traffic_proof_configuration(server)
    plant = Plant(server.url, credentials, seed=7)
    plant.short_scenario()
    outcomes = {(action, status) for action, status, _latency, _problem in plant.results}
    assert all(status < 300 for _action, status in outcomes), plant.results
    assert len(plant.results) == 12

    call = server.call
    # the asynchronous batches are applied by the job runner
    assert wait_for(
        lambda: call(
            "mfg.integration.api.request",
            "search_count",
            [("state", "in", ["queued", "processing"])],
        )
        == 0
    )
    requests_ = call(
        "mfg.integration.api.request", "search_read", [], ["state", "done_count", "failed_count"]
    )
    assert sorted((r["state"], r["done_count"], r["failed_count"]) for r in requests_) == [
        ("done", 1, 0),
        ("partial", 1, 1),
    ]
    # every inbound message was applied once
    orders = call(
        "mrp.production",
        "search_read",
        [("origin", "like", f"MES-01:SIM-{plant.run}")],
        ["state", "qty_produced"],
    )
    assert sorted((o["state"], o["qty_produced"]) for o in orders) == [
        ("done", 3.0),
        ("done", 10.0),
    ]
    receipts = call(
        "stock.picking",
        "search_count",
        [("picking_type_code", "=", "incoming"), ("state", "=", "done")],
    )
    assert receipts == 1
    shipped = call(
        "stock.picking",
        "search_read",
        [("picking_type_code", "=", "outgoing"), ("state", "=", "done")],
        ["mfg_tracking_ref"],
    )
    assert len(shipped) == 1 and shipped[0]["mfg_tracking_ref"].startswith("1Z")
    # the expected exceptions are open, once each, and nothing else
    exceptions = call(
        "mfg.integration.exception", "search_read", [], ["category", "state", "occurrence_count"]
    )
    assert sorted((e["category"], e["state"], e["occurrence_count"]) for e in exceptions) == [
        ("production_variance", "new", 1),
        ("quality_hold", "new", 1),
        ("unmapped_code", "new", 1),
    ]
    # every event reaches its endpoints once, signed
    Delivery = "mfg.integration.webhook.delivery"
    assert wait_for(
        lambda: call(Delivery, "search_count", [("state", "in", ["pending", "retrying"])]) == 0
    )
    deliveries = call(Delivery, "search_read", [], ["state", "endpoint_id", "event_id"])
    assert deliveries and {d["state"] for d in deliveries} == {"delivered"}
    assert receiver.rejected == 0
    ids = [(event["system"], event["webhook_id"]) for event in receiver.events]
    assert len(ids) == len(set(ids)) == len(deliveries), "once per endpoint, nothing twice"
    by_system = {}
    for event in receiver.events:
        by_system.setdefault(event["system"], set()).add(event["type"])
    assert {
        "mrp.production.confirmed.v1",
        "mrp.production.done.v1",
        "mrp.production.variance.v1",
        "stock.lot.held.v1",
        "stock.lot.released.v1",
    } <= by_system["MES-01"]
    assert {"stock.shipment.validated.v1", "stock.receipt.validated.v1"} <= by_system["WMS-01"]
    # the receiver's own ids: the MES reads its order ids back in the events
    confirmed = [
        e
        for e in receiver.events
        if e["type"] == "mrp.production.confirmed.v1" and e["system"] == "MES-01"
    ]
    assert any(f"SIM-{plant.run}" in str(e["data"]) for e in confirmed)
    # the sender's ids live in the link table; configuration did not move
    assert traffic_proof_configuration(server) == configuration
    linked = server.sql(
        "SELECT count(*) FROM mfg_integration_link link JOIN mfg_integration_object_type type"
        " ON type.id = link.object_type_id WHERE type.code = 'production'"
        f" AND link.external_id LIKE 'SIM-{plant.run}%'"
    )
    assert linked == "2"
