"""Machines over MQTT, end to end: a real Mosquitto, the real consumer
process (`odoo-bin mfg_mqtt_consumer`) and a real Odoo server.

Machines publish states and counters (QoS 1) under a topic prefix of their
own per run; the consumer applies them through the command pipeline. A
SIGKILL of the consumer in the middle of a stream of counters loses nothing
and counts nothing twice: what it had not acknowledged comes back from the
broker's persistent session, and what Odoo had committed is recognised by
its sequence number. A Sparkplug B edge node's births, data and death
certificate go the same way.
"""

import os
import signal
import time
import uuid
from datetime import timedelta

import pysparkplug as spb
import pytest
from harness import wait_for
from mqtt_harness import MACHINES, Plant, configure_plant, cursor, start_mqtt_consumer

MQTT_HOST = os.environ.get("MFG_MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(os.environ.get("MFG_MQTT_PORT", "1883"))
COUNTS_PER_MACHINE = 60


@pytest.fixture(scope="module")
def mqtt_plant(odoo_server, tmp_path_factory):
    """The plant's Odoo set-up on the machine's Mosquitto, and the consumer."""
    server = odoo_server
    prefix = f"e2emqtt{uuid.uuid4().hex[:8]}"
    machines, subscriptions = configure_plant(server, prefix, MQTT_HOST, MQTT_PORT, 2.0)
    log_path = tmp_path_factory.mktemp("mqtt") / "consumer.log"
    odoo_src, conf = os.environ["MFG_ODOO_SRC"], os.environ["MFG_E2E_CONF"]
    consumer = start_mqtt_consumer(odoo_src, conf, server.db, log_path)
    plant = Plant(prefix, MQTT_HOST, MQTT_PORT)
    state = {"consumer": consumer}
    yield server, plant, machines, subscriptions, state, (odoo_src, conf, log_path)
    plant.close()
    state["consumer"].terminate()
    state["consumer"].wait(timeout=30)
    # later consumers of this database leave the test's session alone
    server.call("mfg.integration.mqtt.subscription", "write", list(subscriptions.values()),
                {"state": "paused"})  # fmt: skip


def test_states_become_productivity_rows_and_a_maintenance_request(mqtt_plant):
    server, plant, machines, subscriptions, _state, _paths = mqtt_plant
    plant.publish("M1", "state", {"seq": 1, "state": "running", "at": plant.at(0)})
    plant.publish("M1", "state", {"seq": 2, "state": "down", "reason": "E-SPINDLE",
                                  "at": plant.at(600)})  # fmt: skip
    plant.publish("M1", "state", {"seq": 3, "state": "down", "reason": "E-SPINDLE",
                                  "at": plant.at(660)})  # fmt: skip
    plant.publish("M1", "state", {"seq": 4, "state": "running", "at": plant.at(900)})
    plant.publish("M1", "state", b"not json")
    assert wait_for(lambda: cursor(server, subscriptions["state"], "M1") == 4, timeout=60)
    equipment = machines["M1"]["equipment"]
    rows = server.call(
        "mrp.workcenter.productivity",
        "search_read",
        [("mfg_equipment_id", "=", equipment)],
        ["loss_type", "duration", "date_end"],
        order="date_start, id",
    )
    assert [(r["loss_type"], r["duration"]) for r in rows] == [
        ("productive", 10.0),
        ("availability", 1.0),
        ("availability", 4.0),
        ("productive", 0.0),
    ]
    assert rows[-1]["date_end"] is False
    requests = server.call(
        "maintenance.request",
        "search_read",
        [("equipment_id", "=", equipment)],
        ["mfg_alarm_code", "mfg_occurrences", "priority"],
    )
    assert [(r["mfg_alarm_code"], r["mfg_occurrences"], r["priority"]) for r in requests] == [
        ("E-SPINDLE", 2, "3")
    ]
    # the bad message is refused, kept and counted, and the consumer goes on
    assert wait_for(
        lambda: server.call(
            "mfg.integration.mqtt.refused.message",
            "search_count",
            [("subscription_id", "=", subscriptions["state"])],
        )
        == 1,
        timeout=60,
    )
    refused = server.call(
        "mfg.integration.mqtt.refused.message",
        "search_read",
        [("subscription_id", "=", subscriptions["state"])],
        ["problem_type", "payload"],
    )
    assert (refused[0]["problem_type"], refused[0]["payload"]) == ("malformed-json", "not json")


def test_counters_exact_across_a_consumer_sigkill(mqtt_plant):
    server, plant, machines, subscriptions, state, (odoo_src, conf, log_path) = mqtt_plant
    expected = {code: {"good": 0, "rejected": 0} for code in MACHINES}
    half = COUNTS_PER_MACHINE // 2

    def publish(seqs):
        for seq in seqs:
            for index, code in enumerate(MACHINES):
                good, rejected = (seq % 7) + index, seq % 3 == 0
                expected[code]["good"] += good
                expected[code]["rejected"] += int(rejected)
                plant.publish(code, "counters", {"seq": seq, "good": good,
                              "rejected": int(rejected), "at": plant.at(seq)})  # fmt: skip

    publish(range(1, half + 1))
    assert wait_for(
        lambda: all(cursor(server, subscriptions["counters"], c) == half for c in MACHINES),
        timeout=60,
    )
    # the consumer dies in the middle of the stream: the next messages are in
    # its window (received, not applied, not acknowledged), or on their way
    publish(range(half + 1, half + 11))
    os.killpg(state["consumer"].pid, signal.SIGKILL)
    state["consumer"].wait(timeout=30)
    publish(range(half + 11, COUNTS_PER_MACHINE + 1))  # the broker keeps them meanwhile
    state["consumer"] = start_mqtt_consumer(odoo_src, conf, server.db, log_path)
    assert wait_for(
        lambda: all(
            cursor(server, subscriptions["counters"], code) == COUNTS_PER_MACHINE
            for code in MACHINES
        ),
        timeout=120,
    ), log_path.read_text()[-4000:]
    for code in MACHINES:
        totals = server.call(
            "mfg.integration.equipment.count",
            "read_group",
            [("equipment_id", "=", machines[code]["equipment"])],
            ["good_qty:sum", "rejected_qty:sum"],
            [],
        )[0]
        assert (totals["good_qty"], totals["rejected_qty"]) == (
            expected[code]["good"],
            expected[code]["rejected"],
        ), code
    counts = server.call(
        "mfg.integration.mqtt.subscription",
        "read",
        [subscriptions["counters"]],
        ["applied_count", "refused_count"],
    )[0]
    # every message applied once (duplicates, if the kill left any, are not applied)
    assert counts["applied_count"] == COUNTS_PER_MACHINE * len(MACHINES)
    assert counts["refused_count"] == 0


def test_sparkplug_edge_node_births_data_and_death(mqtt_plant):
    """A Sparkplug B edge node with machine M2 as its device: one DDATA with
    the state and the counts goes to the state and the counters subscription
    both; the node's death certificate marks the machine unknown."""
    server, plant, machines, subscriptions, _state, (_src, _conf, log_path) = mqtt_plant
    group = plant.prefix
    broker = server.call(
        "mfg.integration.mqtt.subscription",
        "read",
        [subscriptions["state"]],
        ["broker_id", "client_id"],
    )[0]
    subscribed = log_path.read_text().count(f"spBv1.0/{group}/#")
    for kind, command, extra in (
        ("sparkplug state", "equipment.state", {"death_body": '{"state": "unknown"}'}),
        ("sparkplug counters", "equipment.counters", {"window_seconds": 2.0}),
    ):
        subscriptions[kind] = server.call(
            "mfg.integration.mqtt.subscription",
            "create",
            {"name": f"{group} {kind}", "broker_id": broker["broker_id"][0],
             "client_id": broker["client_id"][0], "topic": f"spBv1.0/{group}/#",
             "payload_format": "sparkplug_b", "command_name": command, **extra},
        )  # fmt: skip
    # the consumer consumes anew with the new subscriptions
    assert wait_for(
        lambda: log_path.read_text().count(f"spBv1.0/{group}/#") > subscribed, timeout=60
    ), log_path.read_text()[-4000:]

    start = int(time.time() * 1000) - 60_000  # a minute ago: the death comes after
    uint64, string = spb.DataType.UINT64, spb.DataType.STRING
    bd_seq = spb.Metric(timestamp=None, name="bdSeq", datatype=uint64, value=7)
    node, device = f"spBv1.0/{group}/{{}}/GW1", f"spBv1.0/{group}/{{}}/GW1/M2"
    declared = (("state", string, "idle"), ("good", uint64, 0), ("rejected", uint64, 0))
    birth = tuple(
        spb.Metric(timestamp=None, name=name, datatype=kind, value=value, alias=alias)
        for alias, (name, kind, value) in enumerate(declared, 1)
    )

    def data(offset, **values):
        aliases = {name: (alias, kind) for alias, (name, kind, _v) in enumerate(declared, 1)}
        metrics = tuple(
            spb.Metric(timestamp=None, name=None, alias=aliases[name][0],
                       datatype=aliases[name][1], value=value)
            for name, value in values.items()
        )  # fmt: skip
        return spb.DData(timestamp=start + offset, seq=offset % 256, metrics=metrics)

    messages = [
        (node.format("NBIRTH"), spb.NBirth(timestamp=start, seq=0, metrics=(bd_seq,))),
        (device.format("DBIRTH"), spb.DBirth(timestamp=start, seq=1, metrics=birth)),
        (device.format("DDATA"), data(1000, state="running", good=40, rejected=2)),
        (device.format("DDATA"), data(2000, good=25)),
        (device.format("DDATA"), data(3000, state="down", good=5, rejected=1)),
        (node.format("NDEATH"), spb.NDeath(timestamp=None, bd_seq_metric=bd_seq)),
    ]
    for topic, payload in messages:
        info = plant.client.publish(topic, payload.encode(), qos=1)
        info.wait_for_publish(timeout=30)
    equipment = machines["M2"]["equipment"]

    def machine_state():
        return server.call("maintenance.equipment", "read", [equipment], ["mfg_machine_state"])[0][
            "mfg_machine_state"
        ]

    assert wait_for(lambda: machine_state() == "unknown", timeout=60), log_path.read_text()[-4000:]
    counters = subscriptions["sparkplug counters"]
    assert wait_for(lambda: cursor(server, counters, "M2") >= (start + 3000) * 256, timeout=60)
    counts = server.call(
        "mfg.integration.equipment.count",
        "search_read",
        # after the counts of the test before (two hours ago)
        [
            ("equipment_id", "=", equipment),
            ("date_end", ">", str(plant.start + timedelta(hours=1))),
        ],
        ["good_qty", "rejected_qty"],
    )
    assert (sum(c["good_qty"] for c in counts), sum(c["rejected_qty"] for c in counts)) == (70, 3)
    rows = server.call(
        "mrp.workcenter.productivity",
        "search_read",
        [("mfg_equipment_id", "=", equipment)],
        ["loss_type", "date_end"],
        order="date_start, id",
    )
    # running, then down; the death ends the down time and counts no more
    assert [r["loss_type"] for r in rows] == ["productive", "availability"]
    assert all(r["date_end"] for r in rows)
    cursors = server.call(
        "mfg.integration.mqtt.cursor",
        "search_read",
        [("subscription_id", "=", subscriptions["sparkplug state"])],
        ["subject", "sparkplug_node", "dead_at"],
    )
    assert {(c["subject"], c["sparkplug_node"]) for c in cursors} == {("GW1", "GW1"), ("M2", "GW1")}
    assert all(c["dead_at"] for c in cursors)
    refused = server.call(
        "mfg.integration.mqtt.subscription",
        "read",
        [subscriptions["sparkplug state"], counters],
        ["refused_count"],
    )
    assert [r["refused_count"] for r in refused] == [0, 0]
