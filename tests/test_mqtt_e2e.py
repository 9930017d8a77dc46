"""Machines over MQTT, end to end: a real Mosquitto, the real consumer
process (`odoo-bin mfg_mqtt_consumer`) and a real Odoo server.

Machines publish states and counters (QoS 1) under a topic prefix of their
own per run; the consumer applies them through the command pipeline. A
SIGKILL of the consumer in the middle of a stream of counters loses nothing
and counts nothing twice: what it had not acknowledged comes back from the
broker's persistent session, and what Odoo had committed is recognised by
its sequence number.
"""

import configparser
import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from harness import wait_for

MQTT_HOST = os.environ.get("MFG_MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(os.environ.get("MFG_MQTT_PORT", "1883"))
MACHINES = ("M1", "M2", "M3")
COUNTS_PER_MACHINE = 60


def start_mqtt_consumer(odoo_src, conf, db, log_path):
    """`odoo-bin mfg_mqtt_consumer` on db, once it has subscribed."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(conf)
    process = subprocess.Popen(
        [
            sys.executable,
            os.path.join(odoo_src, "odoo-bin"),
            f"--addons-path={config['options']['addons_path']}",
            "mfg_mqtt_consumer",
            "-c",
            conf,
            "-d",
            db,
            "--logfile",
            str(log_path),
            "--reload",
            "1",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    subscribed = log_path.read_text().count("Subscribed to") if log_path.exists() else 0

    def ready():
        if process.poll() is not None:
            raise AssertionError(f"The MQTT consumer died:\n{log_path.read_text()[-4000:]}")
        return log_path.exists() and log_path.read_text().count("Subscribed to") > subscribed

    assert wait_for(ready, timeout=120), log_path.read_text()[-4000:]
    return process


class Plant:
    """Machines publishing to the broker, QoS 1, under a prefix of their own."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.client = mqtt.Client(client_id=f"{prefix}-machines", protocol=mqtt.MQTTv5)
        self.client.connect(MQTT_HOST, MQTT_PORT)
        self.client.loop_start()
        self.start = datetime.utcnow().replace(microsecond=0) - timedelta(hours=2)

    def at(self, seconds):
        return (self.start + timedelta(seconds=seconds)).isoformat() + "Z"

    def publish(self, machine, kind, body):
        """Publish a JSON body, or bytes as they are; once the broker has it."""
        payload = body if isinstance(body, bytes) else json.dumps(body)
        info = self.client.publish(f"{self.prefix}/line1/{machine}/{kind}", payload, qos=1)
        info.wait_for_publish(timeout=30)
        assert info.is_published()

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture(scope="module")
def mqtt_plant(odoo_server, tmp_path_factory):
    """A work center per machine, their cross-references, the stop reason
    and alarm rule, the MQTT broker and subscriptions, and the consumer."""
    server = odoo_server
    prefix = f"e2emqtt{uuid.uuid4().hex[:8]}"
    client_id, _key = server.approved_client(prefix.upper(), ["equipment:write"])
    system_id = server.call("mfg.integration.client", "read", [client_id], ["system_id"])[0][
        "system_id"
    ][0]
    call = server.call
    equipment_type = call("mfg.integration.object.type", "search", [("code", "=", "equipment")])[0]
    category = call("maintenance.equipment.category", "create", {"name": prefix})
    team = call("maintenance.team", "create", {"name": prefix})
    call(
        "mfg.integration.maintenance.rule",
        "create",
        {"name": prefix, "category_id": category, "min_severity": 500, "team_id": team,
         "priority": "3"},
    )  # fmt: skip
    calendar = call(
        "resource.calendar",
        "create",
        {
            "name": f"{prefix} 24/7",
            "tz": "UTC",
            "attendance_ids": [
                (0, 0, {"name": str(d), "dayofweek": str(d), "hour_from": 0, "hour_to": 24})
                for d in range(7)
            ],
        },
    )
    machines = {}
    for code in MACHINES:
        workcenter = call(
            "mrp.workcenter",
            "create",
            {"name": f"{prefix} {code}", "resource_calendar_id": calendar},
        )
        equipment = call(
            "maintenance.equipment",
            "create",
            {"name": f"{prefix} {code}", "category_id": category, "mfg_workcenter_id": workcenter},
        )
        call(
            "mfg.integration.xref",
            "create",
            {"system_id": system_id, "object_type_id": equipment_type, "external_id": code,
             "res_id": equipment},
        )  # fmt: skip
        machines[code] = {"equipment": equipment, "workcenter": workcenter}
    failure = call(
        "mrp.workcenter.productivity.loss", "search", [("name", "=", "Equipment Failure")]
    )[0]
    call(
        "mfg.integration.value.map",
        "create",
        {
            "system_id": system_id,
            "domain": "equipment.stop_reason",
            "target_model": "mrp.workcenter.productivity.loss",
            "line_ids": [
                (0, 0, {"external_code": "E-SPINDLE", "canonical_value": "spindle",
                        "record_ref": f"mrp.workcenter.productivity.loss,{failure}"})
            ],
        },
    )  # fmt: skip
    broker = call(
        "mfg.integration.mqtt.broker",
        "create",
        {"name": prefix, "host": MQTT_HOST, "port": MQTT_PORT, "client_identifier": prefix},
    )
    subscriptions = {}
    for kind, command, window in (
        ("state", "equipment.state", 0),
        ("counters", "equipment.counters", 2.0),
    ):
        subscriptions[kind] = call(
            "mfg.integration.mqtt.subscription",
            "create",
            {"name": f"{prefix} {kind}", "broker_id": broker, "client_id": client_id,
             "topic": f"{prefix}/+/+/{kind}", "command_name": command, "subject_segment": 3,
             "window_seconds": window},
        )  # fmt: skip
    log_path = tmp_path_factory.mktemp("mqtt") / "consumer.log"
    odoo_src, conf = os.environ["MFG_ODOO_SRC"], os.environ["MFG_E2E_CONF"]
    consumer = start_mqtt_consumer(odoo_src, conf, server.db, log_path)
    plant = Plant(prefix)
    state = {"consumer": consumer}
    yield server, plant, machines, subscriptions, state, (odoo_src, conf, log_path)
    plant.close()
    state["consumer"].terminate()
    state["consumer"].wait(timeout=30)


def _cursor(server, subscription, machine):
    found = server.call(
        "mfg.integration.mqtt.cursor",
        "search_read",
        [("subscription_id", "=", subscription), ("subject", "=", machine)],
        ["last_sequence"],
    )
    return found[0]["last_sequence"] if found else 0


def test_states_become_productivity_rows_and_a_maintenance_request(mqtt_plant):
    server, plant, machines, subscriptions, _state, _paths = mqtt_plant
    plant.publish("M1", "state", {"seq": 1, "state": "running", "at": plant.at(0)})
    plant.publish("M1", "state", {"seq": 2, "state": "down", "reason": "E-SPINDLE",
                                  "at": plant.at(600)})  # fmt: skip
    plant.publish("M1", "state", {"seq": 3, "state": "down", "reason": "E-SPINDLE",
                                  "at": plant.at(660)})  # fmt: skip
    plant.publish("M1", "state", {"seq": 4, "state": "running", "at": plant.at(900)})
    plant.publish("M1", "state", b"not json")
    assert wait_for(lambda: _cursor(server, subscriptions["state"], "M1") == 4, timeout=60)
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
        lambda: all(_cursor(server, subscriptions["counters"], c) == half for c in MACHINES),
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
            _cursor(server, subscriptions["counters"], code) == COUNTS_PER_MACHINE
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
