"""IIOT-01, the plant's IIoT platform: publishes the demo plant's machines'
states, alarms and part counters to the plant's Mosquitto (MQTT 5, QoS 1)
under the demo's topic prefix, as Odoo's MQTT subscriptions of the demo plant
read them (odoo-bin mfg_mqtt_consumer, started by setup/start).

    python demo/simulator.py --transport mqtt --duration 120
    python demo/simulator.py --transport mqtt --scenario short

CNC-01 (the CNC Machining work center) and ASM-01 (Final Assembly) run and
count their parts every second; now and then one breaks down (a stop with a
reason, which becomes a maintenance request and availability loss in Odoo's
OEE) and is repaired some seconds later, or raises an alarm that clears
later. Each message carries a sequence number that grows per machine, so
Odoo recognises one the broker delivers again. At the end it prints what it
published and the parts it counted per machine: Odoo's counts match them
once the consumer's last window is applied.

The broker: $MFG_MQTT_HOST and $MFG_MQTT_PORT, else 127.0.0.1:1883.
"""

import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime

import paho.mqtt.client as mqtt

SYSTEM = "IIOT-01"
TOPIC_PREFIX = "mfg-demo/iiot-01"
# each machine's stop reason (IIOT-01's value map in Odoo) and its alarms:
# code, severity (the demo's rule opens a request from 500), text
MACHINES = {
    "CNC-01": ("E-SPINDLE", [("A-VIBRATION", 700, "Spindle vibration high"),
                             ("A-COOLANT", 300, "Coolant level low")]),
    "ASM-01": ("E-JAM", [("A-TORQUE", 800, "Screwdriver torque out of range"),
                         ("A-GUARD", 200, "Light curtain interrupted")]),
}  # fmt: skip
BREAKDOWN_CHANCE = 0.01  # per machine and second
ALARM_CHANCE = 0.02


def now():
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class IiotPlatform:
    """The machines' side: what they publish, and what they counted."""

    def __init__(self, host, port, prefix=TOPIC_PREFIX, seed=None):
        self.host, self.port, self.prefix = host, port, prefix
        self.random = random.Random(seed)
        self.client = mqtt.Client(client_id=f"iiot-01-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5)
        self.last_sequence = 0
        self.published = {"state": 0, "alarms": 0, "counters": 0}
        self.unacknowledged = 0
        self.parts = {machine: {"good": 0, "rejected": 0} for machine in MACHINES}
        self.state = dict.fromkeys(MACHINES, "unknown")
        self.repair_at = {}  # machine: tick
        self.alarms = {}  # machine: (code, clears at tick)
        self.breakdowns = 0
        self.tick = 0

    def connect(self):
        self.client.connect(self.host, self.port)
        self.client.loop_start()

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()

    def sequence(self):
        """Grows across runs (time in microseconds) and within one."""
        self.last_sequence = max(self.last_sequence + 1, time.time_ns() // 1000)
        return self.last_sequence

    def publish(self, machine, kind, body):
        message = json.dumps({"seq": self.sequence(), **body, "at": now()})
        info = self.client.publish(f"{self.prefix}/{machine}/{kind}", message, qos=1)
        info.wait_for_publish(timeout=30)
        self.published[kind] += 1
        if not info.is_published():
            self.unacknowledged += 1

    def set_state(self, machine, state, reason=None):
        self.state[machine] = state
        self.publish(machine, "state", {"state": state, **({"reason": reason} if reason else {})})

    def alarm(self, machine, event, code, severity=0, text=None):
        body = {"event": event, "code": code}
        if event == "raised":
            body.update(severity=severity, text=text)
        self.publish(machine, "alarms", body)

    def count(self, machine, good, rejected):
        self.parts[machine]["good"] += good
        self.parts[machine]["rejected"] += rejected
        self.publish(machine, "counters", {"good": good, "rejected": rejected})

    def step(self):
        """One second of the plant."""
        self.tick += 1
        for machine, (reason, alarms) in MACHINES.items():
            if self.state[machine] == "unknown":
                self.set_state(machine, "running")
            if machine in self.repair_at and self.tick >= self.repair_at[machine]:
                del self.repair_at[machine]
                self.set_state(machine, "running")
            alarm = self.alarms.get(machine)
            if alarm and self.tick >= alarm[1]:
                del self.alarms[machine]
                self.alarm(machine, "cleared", alarm[0])
            if self.state[machine] != "running":
                continue
            good = self.random.randint(1, 4)
            self.count(machine, good, int(self.random.random() < 0.05))
            if self.random.random() < BREAKDOWN_CHANCE:
                self.breakdown(machine, reason, repair_seconds=self.random.randint(10, 40))
            elif machine not in self.alarms and self.random.random() < ALARM_CHANCE:
                code, severity, text = self.random.choice(alarms)
                self.alarm(machine, "raised", code, severity, text)
                self.alarms[machine] = (code, self.tick + self.random.randint(5, 20))

    def breakdown(self, machine, reason, repair_seconds):
        self.breakdowns += 1
        self.set_state(machine, "down", reason)
        self.repair_at[machine] = self.tick + repair_seconds

    def short_scenario(self):
        """The scripted run: CNC-01 makes parts, raises a vibration alarm and
        breaks down; it is repaired, the alarm clears, it makes parts again."""
        machine = "CNC-01"
        self.set_state(machine, "running")
        for good, rejected in ((4, 0), (3, 1), (5, 0)):
            self.count(machine, good, rejected)
            time.sleep(1)
        self.alarm(machine, "raised", "A-VIBRATION", 700, "Spindle vibration high")
        self.breakdowns += 1
        self.set_state(machine, "down", "E-SPINDLE")
        time.sleep(2)
        self.alarm(machine, "cleared", "A-VIBRATION")
        self.set_state(machine, "running")
        for good, rejected in ((2, 0), (4, 0)):
            self.count(machine, good, rejected)
            time.sleep(1)

    def print_summary(self, elapsed, out=sys.stdout):
        total = sum(self.published.values())
        kinds = ", ".join(f"{kind} {n}" for kind, n in self.published.items())
        print(
            f"\n{SYSTEM}: {total} messages in {elapsed:.0f} s ({kinds}); "
            f"{self.breakdowns} breakdown(s); not acknowledged by the broker: "
            f"{self.unacknowledged}",
            file=out,
        )
        for machine, parts in self.parts.items():
            print(
                f"{machine}: good {parts['good']}, rejected {parts['rejected']} "
                f"(state {self.state[machine]})",
                file=out,
            )


def run_mqtt(args):
    """IIOT-01 for --duration seconds (--rate: the machines' reports per second
    each), or the short scenario."""
    host = os.environ.get("MFG_MQTT_HOST", "127.0.0.1")
    port = int(os.environ.get("MFG_MQTT_PORT", "1883"))
    platform = IiotPlatform(host, port, seed=args.seed)
    try:
        platform.connect()
    except OSError as error:
        print(f"cannot connect to the MQTT broker {host}:{port}: {error!r}", file=sys.stderr)
        return 1
    started = time.monotonic()
    try:
        if args.scenario == "short":
            platform.short_scenario()
        else:
            next_at = started
            while time.monotonic() - started < args.duration:
                platform.step()
                next_at += 1.0 / args.rate
                time.sleep(max(0.0, next_at - time.monotonic()))
    except KeyboardInterrupt:
        pass
    finally:
        platform.close()
    platform.print_summary(time.monotonic() - started)
    return 0
