"""Database restart during traffic: PostgreSQL stops under a running Odoo and
starts again. Callers get 503 problem documents, never Odoo's HTML error page,
and everything goes on once the database is back, with nobody stepping in."""

import configparser
import os
import shutil
import tempfile
import threading
import time

import pytest
import requests
from harness import (
    PrivateCluster,
    received_subjects,
    settle_deliveries,
    start_server,
    stop_server,
    wait_for,
)

API = "/api/mfg/v1"
ORDERS = 60
OUTAGE_SECONDS = 6


@pytest.fixture(scope="module")
def plant(tmp_path_factory, demo_receiver):
    """Odoo on a copy of the demo plant in a PostgreSQL cluster of the test's own."""
    bindir, source = os.environ.get("MFG_PG_BINDIR"), os.environ.get("MFG_FAULTS_DB")
    if not (bindir and source):
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    logs = tmp_path_factory.mktemp("odoo-db-restart")
    config = configparser.ConfigParser(interpolation=None)
    config.read(os.environ["MFG_E2E_CONF"])
    # outside pytest's private temporary folder: the cluster runs as another user
    cluster = PrivateCluster(
        bindir, tempfile.mkdtemp(prefix="mfg-pg-"), config["options"]["db_user"]
    )
    db = "mfg_db_restart"
    filestore = os.path.join(config["options"]["data_dir"], "filestore")
    process = http = None
    try:
        cluster.create()
        cluster.copy_database(source, db)
        shutil.copytree(
            os.path.join(filestore, source), os.path.join(filestore, db), dirs_exist_ok=True
        )
        config["options"].update(db_host="127.0.0.1", db_port=str(cluster.port))
        conf = logs / "odoo.conf"
        with open(conf, "w") as conf_file:
            config.write(conf_file)
        # one cron thread: the webhook watchdog requeues what the outage interrupted
        process, server = start_server(
            os.environ["MFG_ODOO_SRC"], str(conf), db, logs / "server.log", ["--max-cron-threads=1"]
        )
        server.psql_args = cluster.psql_args
        receiver, credentials, _port, http = demo_receiver(server)
        server.login()
        yield cluster, server, receiver, credentials
    finally:
        if http:
            http.shutdown()
        if process:
            stop_server(process)
        if cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(os.path.join(filestore, db), ignore_errors=True)


def test_database_restart_answers_503_and_recovers(plant):
    cluster, server, receiver, credentials = plant
    key = credentials["keys"]["MES-01"]
    headers = {"Authorization": f"Bearer {key}"}
    orders = [f"PGRESTART-{n:03d}" for n in range(ORDERS)]
    answers = []  # (status, content type, body or text, Retry-After) of every answer
    created = {}
    unreachable = []
    lock = threading.Lock()

    def record(response):
        try:
            body = response.json()
        except ValueError:
            body = response.text[:300]
        with lock:
            answers.append(
                (
                    response.status_code,
                    response.headers.get("Content-Type", ""),
                    body,
                    response.headers.get("Retry-After"),
                )
            )

    def send(order_id):
        body = {"id": order_id, "product": "FG-PM200", "quantity": 1, "unit": "EA"}
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                response = requests.post(
                    server.url + API + "/production-orders",
                    json=body,
                    headers={**headers, "Idempotency-Key": order_id},
                    timeout=60,
                )
            except requests.RequestException:
                unreachable.append(order_id)  # Odoo itself must stay up: counted, asserted 0
                time.sleep(0.5)
                continue
            record(response)
            if response.status_code != 503:
                created[order_id] = response.status_code
                return
            time.sleep(0.5)  # a client may retry sooner than Retry-After

    def read(stop):
        while not stop.is_set():
            try:
                record(
                    requests.get(
                        server.url + API + "/production-orders",
                        params={"limit": "5"},
                        headers=headers,
                        timeout=60,
                    )
                )
            except requests.RequestException:
                unreachable.append("read")
            time.sleep(0.2)

    stop_reading = threading.Event()
    threads = [
        threading.Thread(target=lambda chunk=orders[i::4]: [send(o) for o in chunk])
        for i in range(4)
    ] + [threading.Thread(target=read, args=(stop_reading,))]
    for thread in threads:
        thread.start()
    assert wait_for(lambda: len(created) >= 8, 60), "traffic flows before the restart"
    answered_before = len(created)
    cluster.stop()  # every session of the database ends, new ones are refused
    time.sleep(OUTAGE_SECONDS)
    cluster.start()
    for thread in threads[:4]:
        thread.join()
    # reads go on a little after the restart, to see them answered again
    time.sleep(2)
    stop_reading.set()
    threads[4].join()

    unavailable = [a for a in answers if a[0] == 503]
    assert unavailable, "the outage was seen by callers"
    for status, content_type, body, retry_after in answers:
        assert status < 500 or status == 503, (status, body)
        if status == 503:
            assert content_type.startswith("application/problem+json"), body
            assert body["type"] == f"{API}/problems/database-unavailable", body
            assert body["correlation_id"] and retry_after == "5", body
    assert not unreachable, "Odoo kept answering through the outage"
    assert answered_before < ORDERS, "the restart came in the middle of the burst"
    assert sorted(created.values()) == [201] * ORDERS, created
    assert answers[-1][0] == 200, "reads answered again after the restart"
    made = server.call(
        "mrp.production",
        "search_read",
        [("origin", "like", "MES-01:PGRESTART-")],
        ["origin", "name"],
    )
    assert sorted(m["origin"] for m in made) == [f"MES-01:{o}" for o in orders], "each once"
    # the outbox drains again by itself: every delivery of the run reaches the receiver
    deliveries, dead, received = settle_deliveries(server, receiver)
    assert dead == 0 and len(received) == deliveries, "every event delivered"
    confirmed = received_subjects(receiver, "MES-01", "mrp.production.confirmed.v1")
    assert {f"mrp.production/{m['name']}" for m in made} <= confirmed
    print(
        f"\n{answered_before} of {ORDERS} orders answered before the restart, "
        f"{len(answers)} answers, {len(unavailable)} of them 503 database-unavailable, "
        f"0 other 5xx, {deliveries} deliveries all delivered"
    )
