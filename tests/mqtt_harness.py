"""Machines over MQTT for the end-to-end tests: the consumer process, a
plant's machines publishing, and the Odoo set-up they report to."""

import configparser
import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt
from harness import wait_for

MACHINES = ("M1", "M2", "M3")


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

    def __init__(self, prefix, host, port):
        self.prefix = prefix
        self.client = mqtt.Client(client_id=f"{prefix}-machines", protocol=mqtt.MQTTv5)
        self.client.connect(host, port)
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


def configure_plant(server, prefix, host, port, counter_window):
    """Three machines on work centers of their own, their cross-references,
    a stop reason and an alarm rule, and an MQTT broker with a state and a
    counters subscription under the prefix; returns (machines, subscriptions)."""
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
        {"name": prefix, "host": host, "port": port, "client_identifier": prefix},
    )
    subscriptions = {}
    for kind, command, window in (
        ("state", "equipment.state", 0),
        ("counters", "equipment.counters", counter_window),
    ):
        subscriptions[kind] = call(
            "mfg.integration.mqtt.subscription",
            "create",
            {"name": f"{prefix} {kind}", "broker_id": broker, "client_id": client_id,
             "topic": f"{prefix}/+/+/{kind}", "command_name": command, "subject_segment": 3,
             "window_seconds": window},
        )  # fmt: skip
    return machines, subscriptions


def cursor(server, subscription, machine):
    """The last sequence number applied for a machine."""
    found = server.call(
        "mfg.integration.mqtt.cursor",
        "search_read",
        [("subscription_id", "=", subscription), ("subject", "=", machine)],
        ["last_sequence"],
    )
    return found[0]["last_sequence"] if found else 0


class PrivateMosquitto:
    """A Mosquitto of the test's own, on a free port, with persistence in a
    folder of its own (started as root, it drops to the mosquitto user, who
    must be able to write there)."""

    def __init__(self, root, port, config_text):
        self.root = root
        self.port = port
        self.state_dir = root / "state"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.state_dir, user="mosquitto")
        self.conf = root / "mosquitto.conf"
        self.conf.write_text(config_text)
        self.log = root / "mosquitto.log"
        self.process = None

    def start(self):
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                ["/usr/sbin/mosquitto", "-c", str(self.conf)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def accepting():
            if self.process.poll() is not None:
                raise AssertionError(f"Mosquitto stopped:\n{self.log.read_text()[-3000:]}")
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", self.port)) == 0

        assert wait_for(accepting, timeout=30), self.log.read_text()[-3000:]

    def stop(self):
        """A clean stop: Mosquitto saves its sessions and queues first."""
        self.process.terminate()
        self.process.wait(timeout=30)
