"""The demo plant over RabbitMQ, as setup/start runs it: MES-02 (line 2) sends
its commands as messages to its command queue, the command consumer applies
them through the command pipeline and replies, and the plant's analytics
subscriber reads every event from analytics.events through the CloudEvents
RabbitMQ binding (demo/simulator.py --transport amqp, demo/analytics.py)."""

import os
from collections import Counter
from datetime import datetime

import pika
import pytest
from analytics import Analytics
from broker_harness import start_consumer, stop_consumer
from simulator import AmqpLine


def take_demo_queues(amqp_url, queues):
    """The demo's queues have fixed names (one broker serves one demo plant):
    nobody else may read them during the test, and what earlier runs left in
    them is purged."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        for queue in queues:
            consumers = channel.queue_declare(queue, passive=True).method.consumer_count
            if consumers:
                pytest.fail(
                    f"{consumers} consumer(s) read {queue} on this broker, a demo plant's "
                    "queue: one broker serves one demo plant (stop the other demo first)"
                )
            channel.queue_purge(queue)
    finally:
        connection.close()


@pytest.fixture(scope="module")
def line_2(demo, tmp_path_factory):
    """The demo server (its plant connected to the broker) and a command
    consumer on its database, as setup/start starts it."""
    server, _receiver, credentials = demo
    broker = credentials["broker"]
    amqp_url = os.environ["MFG_AMQP_URL"]
    take_demo_queues(amqp_url, [*broker["command_queues"].values(), *broker["event_queues"]])
    log_path = tmp_path_factory.mktemp("consumer") / "consumer.log"
    consumer = start_consumer(
        os.environ["MFG_ODOO_SRC"], os.environ["MFG_E2E_CONF"], server.db, log_path
    )
    yield server, broker, amqp_url
    stop_consumer(consumer)


# the events of the scripted run: a gearbox made in two operations (the second
# paused and resumed), a pump in one
EXPECTED_EVENTS = {
    "GBX-100": {
        "mrp.production.confirmed.v1": 1,
        "mrp.production.released.v1": 1,
        "mrp.workorder.started.v1": 3,
        "mrp.workorder.paused.v1": 1,
        "mrp.workorder.done.v1": 2,
        "mrp.production.done.v1": 1,
    },
    "PMP-200": {
        "mrp.production.confirmed.v1": 1,
        "mrp.production.released.v1": 1,
        "mrp.workorder.started.v1": 1,
        "mrp.workorder.done.v1": 1,
        "mrp.production.done.v1": 1,
    },
}


def test_mes_02_over_amqp_and_the_analytics_subscriber(line_2):
    server, broker, amqp_url = line_2
    line = AmqpLine(amqp_url, broker["command_queues"]["MES-02"], seed=7)
    with line:
        line.short_scenario()
    # every message was answered on the reply queue, with its status
    replies = Counter((action, status) for action, status, _latency, _problem in line.results)
    assert replies == {
        ("create order", 201): 2,
        ("work order start", 200): 3,
        ("work order pause", 200): 1,
        ("work order resume", 200): 1,
        ("work order finish", 200): 3,
        ("confirm production", 200): 3,
        ("send again", 200): 1,
        ("read order", 200): 1,
    }, line.results
    assert line.late_replies == 0

    # what the commands did: both orders made, each operation done, the final
    # confirmation sent twice applied once (3 made of the pump, not 4)
    gearbox_id, pump_id = f"L2-{line.run}-0001", f"L2-{line.run}-0002"
    orders = server.call(
        "mrp.production",
        "search_read",
        [("origin", "in", [f"MES-02:{gearbox_id}", f"MES-02:{pump_id}"])],
        ["name", "origin", "state", "product_qty", "qty_produced"],
        order="origin",
    )
    assert [(o["state"], o["product_qty"], o["qty_produced"]) for o in orders] == [
        ("done", 4.0, 4.0),
        ("done", 3.0, 3.0),
    ]
    order_ids = [o["id"] for o in orders]
    workorders = server.call(
        "mrp.workorder", "search_read", [("production_id", "in", order_ids)], ["state"]
    )
    assert sorted(w["state"] for w in workorders) == ["done"] * 3
    assert not server.call(
        "mfg.integration.production.variance", "search_count", [("production_id", "in", order_ids)]
    )
    assert not server.call(
        "mfg.integration.exception", "search_count", [("system_id.code", "=", "MES-02")]
    )
    # MES-02's ids of its orders and operations are links made by traffic
    links = server.sql(
        "SELECT type.code || ' ' || link.external_id FROM mfg_integration_link link"
        " JOIN mfg_integration_object_type type ON type.id = link.object_type_id"
        f" WHERE link.external_id LIKE 'L2-{line.run}-%' ORDER BY 1"
    ).splitlines()
    assert links == [
        f"production {gearbox_id}",
        f"production {pump_id}",
        f"workorder {gearbox_id}-10",
        f"workorder {gearbox_id}-20",
        f"workorder {pump_id}-10",
    ]
    # read back over AMQP, in MES-02's own codes
    with line:
        status, order = line.read_order(gearbox_id)
    assert status == 200, order
    assert (order["id"], order["product"], order["unit"], order["status"]) == (
        gearbox_id,
        "GBX-100",
        "ST",
        "50",
    )
    assert [w["id"] for w in order["work_orders"]] == [f"{gearbox_id}-10", f"{gearbox_id}-20"]

    # the analytics subscriber gets every event of both orders, as CloudEvents
    references = {o["name"]: code for o, code in zip(orders, ["GBX-100", "PMP-200"], strict=True)}
    analytics = Analytics(amqp_url, broker["event_queues"][0], quiet=True)

    def received():
        """{product: {type: count}} of this run's events, each event id once."""
        events = {
            event.get_id(): event
            for event in analytics.events
            if (event.get_data() or {}).get("production", {}).get("reference") in references
        }
        found = {code: Counter() for code in EXPECTED_EVENTS}
        for event in events.values():
            code = references[event.get_data()["production"]["reference"]]
            found[code][event.get_type()] += 1
        return found

    watchdog = server.call(
        "ir.model.data",
        "search_read",
        [("module", "=", "mfg_integration_core"), ("name", "=", "ir_cron_outbox_watchdog")],
        ["res_id"],
    )[0]["res_id"]
    for _minute in range(8):
        analytics.run(until=lambda: received() == EXPECTED_EVENTS, timeout=20)
        if received() == EXPECTED_EVENTS:
            break
        # the server runs no cron: do what the outbox watchdog's does every minute
        # (a drain job can miss the last deliveries of a burst and nothing else
        # wakes the sink until the watchdog does)
        server.call("ir.cron", "method_direct_trigger", [watchdog])
    assert received() == EXPECTED_EVENTS
    assert analytics.unreadable == 0
    done = next(
        event
        for event in analytics.events
        if event.get_type() == "mrp.production.done.v1"
        and event.get_data()["production"]["reference"] == orders[0]["name"]
    )
    assert done.get_specversion() == "1.0"
    assert done.get_subject() == f"mrp.production/{orders[0]['name']}"
    assert done.get_datacontenttype() == "application/json"
    assert isinstance(done.get_time(), datetime)
    assert done.get_source()
    assert done.get_data()["produced_quantity"] == 4
    assert not server.call(
        "mfg.integration.broker.delivery", "search_count", [("state", "=", "dead")]
    )
