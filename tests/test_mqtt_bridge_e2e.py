"""A hybrid plant: machines publish to a Mosquitto at the plant, bridged
(Mosquitto's own bridge, from the configuration the suite ships in
setup/mosquitto-plant-bridge.conf) to the central broker that Odoo's MQTT
consumer reads. The central broker goes down for a while: the plant queues,
the consumer reconnects when it is back, and Odoo's counts are exact.
"""

import os
import string
import uuid
from pathlib import Path

import pytest
from harness import free_port, wait_for
from mqtt_harness import (
    MACHINES,
    Plant,
    PrivateMosquitto,
    configure_plant,
    cursor,
    start_mqtt_consumer,
)

BRIDGE_TEMPLATE = Path(__file__).resolve().parent.parent / "setup" / "mosquitto-plant-bridge.conf"
COUNTS_PER_MACHINE = 40

CENTRAL = """listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {state}/
max_queued_messages 100000
"""


@pytest.fixture(scope="module")
def hybrid_plant(odoo_server, tmp_path_factory):
    server = odoo_server
    prefix = f"e2ebridge{uuid.uuid4().hex[:8]}"
    root = tmp_path_factory.mktemp("bridge")
    central_port, plant_port = free_port(), free_port()
    central = PrivateMosquitto(
        root / "central",
        central_port,
        CENTRAL.format(port=central_port, state=root / "central" / "state"),
    )
    plant_broker = PrivateMosquitto(
        root / "plant",
        plant_port,
        string.Template(BRIDGE_TEMPLATE.read_text()).substitute(
            PLANT_PORT=plant_port,
            PLANT_ADDRESS="127.0.0.1",
            PLANT_STATE_DIR=root / "plant" / "state",
            PLANT_MAX_QUEUED=100000,
            PLANT_TOPICS=f"{prefix}/#",
            CENTRAL_HOST="127.0.0.1",
            CENTRAL_PORT=central_port,
        ),
    )
    central.start()
    plant_broker.start()
    machines, subscriptions = configure_plant(server, prefix, "127.0.0.1", central_port, 1.0)
    log_path = root / "consumer.log"
    odoo_src, conf = os.environ["MFG_ODOO_SRC"], os.environ["MFG_E2E_CONF"]
    consumer = start_mqtt_consumer(odoo_src, conf, server.db, log_path)
    plant = Plant(prefix, "127.0.0.1", plant_port)
    yield server, plant, machines, subscriptions, central, log_path
    plant.close()
    consumer.terminate()
    consumer.wait(timeout=30)
    # later consumers of this database leave the test's broker alone
    server.call("mfg.integration.mqtt.subscription", "write", list(subscriptions.values()),
                {"state": "paused"})  # fmt: skip
    plant_broker.stop()
    if central.process.poll() is None:
        central.stop()


def test_counters_exact_across_a_central_broker_outage(hybrid_plant):
    server, plant, machines, subscriptions, central, log_path = hybrid_plant
    expected = dict.fromkeys(MACHINES, 0)
    half = COUNTS_PER_MACHINE // 2

    def publish(seqs):
        for seq in seqs:
            for index, code in enumerate(MACHINES):
                expected[code] += seq % 5 + index
                plant.publish(code, "counters", {"seq": seq, "good": seq % 5 + index,
                              "rejected": 0, "at": plant.at(seq)})  # fmt: skip

    def applied(upto):
        return all(cursor(server, subscriptions["counters"], c) == upto for c in MACHINES)

    publish(range(1, half + 1))
    assert wait_for(lambda: applied(half), timeout=60), log_path.read_text()[-3000:]
    # the link to the central broker is down: the plant broker queues what
    # the machines publish (each publication is acknowledged by the plant)
    central.stop()
    publish(range(half + 1, COUNTS_PER_MACHINE + 1))
    assert cursor(server, subscriptions["counters"], "M1") == half
    central.start()
    assert wait_for(lambda: applied(COUNTS_PER_MACHINE), timeout=120), log_path.read_text()[-3000:]
    for code in MACHINES:
        totals = server.call(
            "mfg.integration.equipment.count",
            "read_group",
            [("equipment_id", "=", machines[code]["equipment"])],
            ["good_qty:sum"],
            [],
        )[0]
        assert totals["good_qty"] == expected[code], code
    counts = server.call(
        "mfg.integration.mqtt.subscription",
        "read",
        [subscriptions["counters"]],
        ["applied_count", "refused_count"],
    )[0]
    assert (counts["applied_count"], counts["refused_count"]) == (
        COUNTS_PER_MACHINE * len(MACHINES),
        0,
    )
