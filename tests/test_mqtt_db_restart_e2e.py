"""Database restart under the MQTT consumer: PostgreSQL stops while machines
publish and starts again. The consumer holds what it has not committed (its
windows unacknowledged, the broker keeping the rest), never crashes, and once
the database is back every message is applied once: the counters exact, the
stop's maintenance request opened once."""

import configparser
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
from harness import PrivateCluster, wait_for
from mqtt_harness import Plant, start_mqtt_consumer

MQTT_HOST = os.environ.get("MFG_MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(os.environ.get("MFG_MQTT_PORT", "1883"))
MACHINES = ("CNC-01", "ASM-01")  # the demo plant's IIOT-01 machines
COUNTS = 40
OUTAGE_SECONDS = 6


def sql(cluster, db, query):
    result = subprocess.run(
        ["psql", *cluster.psql_args, "-d", db, "-Atc", query],
        check=True,
        capture_output=True,
        text=True,
    )
    return [line.split("|") for line in result.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def consumer_on_private_cluster(tmp_path_factory):
    """The MQTT consumer on a copy of the demo plant in a PostgreSQL cluster of
    the test's own, the demo's IIOT-01 subscriptions under a prefix of this run."""
    bindir, source = os.environ.get("MFG_PG_BINDIR"), os.environ.get("MFG_FAULTS_DB")
    if not (bindir and source):
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    logs = tmp_path_factory.mktemp("mqtt-db-restart")
    config = configparser.ConfigParser(interpolation=None)
    config.read(os.environ["MFG_E2E_CONF"])
    cluster = PrivateCluster(
        bindir, tempfile.mkdtemp(prefix="mfg-pg-"), config["options"]["db_user"]
    )
    db = "mfg_mqtt_db_restart"
    prefix = f"e2edbrestart{uuid.uuid4().hex[:8]}"
    consumer = None
    try:
        cluster.create()
        cluster.copy_database(source, db)
        sql(cluster, db, f"UPDATE mfg_integration_mqtt_broker SET client_identifier = '{prefix}'")
        sql(
            cluster,
            db,
            "UPDATE mfg_integration_mqtt_subscription SET state = 'active', "
            f"topic = '{prefix}/+/+/' || split_part(topic, '/', 4)",
        )
        config["options"].update(db_host="127.0.0.1", db_port=str(cluster.port))
        conf = logs / "odoo.conf"
        with open(conf, "w") as conf_file:
            config.write(conf_file)
        log_path = logs / "consumer.log"
        consumer = start_mqtt_consumer(os.environ["MFG_ODOO_SRC"], str(conf), db, log_path)
        yield cluster, db, prefix, consumer, log_path
    finally:
        if consumer:
            consumer.terminate()
            consumer.wait(timeout=30)
        if cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(cluster.root, ignore_errors=True)


def test_database_restart_loses_nothing_and_counts_nothing_twice(consumer_on_private_cluster):
    cluster, db, prefix, consumer, log_path = consumer_on_private_cluster
    plant = Plant(prefix, MQTT_HOST, MQTT_PORT)
    expected = {machine: [0, 0] for machine in MACHINES}
    published = threading.Event()

    def publish():
        for seq in range(1, COUNTS + 1):
            for index, machine in enumerate(MACHINES):
                good, rejected = seq % 5 + index, int(seq % 4 == 0)
                expected[machine][0] += good
                expected[machine][1] += rejected
                plant.publish(machine, "counters", {"seq": seq, "good": good,
                              "rejected": rejected, "at": plant.at(seq)})  # fmt: skip
            if seq == 1:
                plant.publish("CNC-01", "state", {"seq": 1, "state": "running", "at": plant.at(1)})
            if seq == COUNTS // 2:  # during the outage
                plant.publish("CNC-01", "state", {"seq": 2, "state": "down", "reason": "E-SPINDLE",
                              "at": plant.at(seq)})  # fmt: skip
            time.sleep(0.25)
        plant.publish("CNC-01", "state", {"seq": 3, "state": "running", "at": plant.at(COUNTS)})
        published.set()

    publisher = threading.Thread(target=publish)
    try:
        publisher.start()
        time.sleep(3)  # traffic flows, then the database stops under it
        cluster.stop()
        time.sleep(OUTAGE_SECONDS)
        cluster.start()
        publisher.join(timeout=120)
        assert published.is_set()
    finally:
        plant.close()

    def cursors():
        return dict(
            sql(
                cluster,
                db,
                "SELECT c.subject || ':' || split_part(s.topic, '/', 4), c.last_sequence "
                "FROM mfg_integration_mqtt_cursor c "
                "JOIN mfg_integration_mqtt_subscription s ON s.id = c.subscription_id "
                f"WHERE s.topic LIKE '{prefix}/%'",
            )
        )

    done = {**{f"{m}:counters": str(COUNTS) for m in MACHINES}, "CNC-01:state": "3"}
    assert wait_for(lambda: cursors() == done, timeout=120), (
        cursors(),
        log_path.read_text()[-4000:],
    )
    assert consumer.poll() is None, "the consumer kept running through the outage"
    assert "Database unavailable" in log_path.read_text(), "the outage was seen"
    for machine in MACHINES:
        totals = sql(
            cluster,
            db,
            "SELECT sum(c.good_qty), sum(c.rejected_qty) FROM mfg_integration_equipment_count c "
            "JOIN mfg_integration_xref x ON x.res_id = c.equipment_id "
            "JOIN mfg_integration_system y ON y.id = x.system_id "
            f"WHERE y.code = 'IIOT-01' AND x.external_id = '{machine}'",
        )[0]
        assert [int(v) for v in totals] == expected[machine], machine
    counts = sql(
        cluster,
        db,
        "SELECT split_part(topic, '/', 4), COALESCE(applied_count, 0), COALESCE(refused_count, 0) "
        f"FROM mfg_integration_mqtt_subscription WHERE topic LIKE '{prefix}/%' ORDER BY 1",
    )
    assert [tuple(row) for row in counts] == [
        ("alarms", "0", "0"),
        ("counters", str(COUNTS * len(MACHINES)), "0"),
        ("state", "3", "0"),
    ]
    requests = sql(
        cluster,
        db,
        "SELECT r.mfg_alarm_code, r.mfg_occurrences FROM maintenance_request r "
        "JOIN mfg_integration_xref x ON x.res_id = r.equipment_id "
        "JOIN mfg_integration_system y ON y.id = x.system_id "
        "WHERE y.code = 'IIOT-01' AND x.external_id = 'CNC-01'",
    )
    assert requests == [["E-SPINDLE", "1"]], "the stop opened one request, once"
