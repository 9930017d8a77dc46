"""Faults: the receiver refusing connections, and Odoo killed in the middle of a
burst. Nothing is lost; nothing inbound is applied twice."""

import os
import threading
import time

import pytest
import requests
from harness import (
    kill_server,
    odoo_shell,
    received_subjects,
    settle_deliveries,
    start_server,
    stop_server,
    wait_for,
)
from receiver import serve

API = "/api/mfg/v1"
EMIT_SCRIPT = """
Event = env["mfg.integration.event"]
subject = env["mfg.integration.webhook.endpoint"].search([], limit=1)
for index in range({count}):
    Event._emit("mfg.integration.test.v1", subject, {{"endpoint": subject.name,
                "message": "burst %s" % index}}, subject="burst/%s" % index)
env.cr.commit()
"""


@pytest.fixture(scope="module")
def plant(tmp_path_factory, demo_receiver):
    """A server of our own (it gets killed) on a copy of the demo plant."""
    db = os.environ.get("MFG_FAULTS_DB")
    if not db:
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    logs = tmp_path_factory.mktemp("odoo-faults")
    args = (os.environ["MFG_ODOO_SRC"], os.environ["MFG_E2E_CONF"], db)
    # one cron thread: the webhook watchdog is what finds drains a crash left behind
    process, server = start_server(*args, logs / "server-1.log", ["--max-cron-threads=1"])
    # nothing listens yet: the first test starts the receiver when it wants
    receiver, credentials, port, _http = demo_receiver(server, listen=False)
    state = {"process": process, "server": server, "port": port, "http": None, "args": args}

    def restart():
        kill_server(state["process"])
        number = len(list(logs.iterdir())) + 1
        state["process"], state["server"] = start_server(
            *args, logs / f"server-{number}.log", ["--max-cron-threads=1"]
        )
        state["server"].login()
        return state["server"]

    server.login()
    yield state, receiver, credentials, restart
    if state["http"]:
        state["http"].shutdown()
    stop_server(state["process"])


def test_receiver_down_then_back_gets_every_event_once(plant):
    state, receiver, credentials, _restart = plant
    server = state["server"]
    # nothing listens on the receiver's port yet: every attempt is refused
    server.sql(
        "UPDATE mfg_integration_webhook_endpoint SET retry_schedule = '1,2,2,2,2,2,2,2,2,2',"
        " max_attempts = 200, failure_threshold = 5, cooldown_seconds = 2"
    )
    # both endpoints take the test events too: 250 events, 500 deliveries
    server.sql(
        "UPDATE mfg_integration_webhook_endpoint"
        " SET event_types = event_types || ',mfg.integration.test.v1'"
    )
    odoo_shell(*state["args"], EMIT_SCRIPT.format(count=250))
    burst = [("event_id.type", "=", "mfg.integration.test.v1")]
    assert server.call("mfg.integration.webhook.delivery", "search_count", burst) == 500
    assert wait_for(
        lambda: server.call(
            "mfg.integration.webhook.delivery", "search_count", [("state", "=", "retrying")]
        )
        > 0,
        60,
    ), "the receiver refused, the deliveries retry"
    time.sleep(5)
    state["http"] = serve(state["port"], receiver)
    _deliveries, dead, _received = settle_deliveries(server, receiver)
    assert dead == 0
    unique = {
        (e["system"], e["webhook_id"])
        for e in receiver.events
        if e["type"] == "mfg.integration.test.v1"
    }
    assert len(unique) == 500, "every event arrived"
    assert receiver.rejected == 0


def test_odoo_killed_mid_burst_loses_nothing_and_applies_nothing_twice(plant):
    state, receiver, credentials, restart = plant
    receiver.mode, receiver.delay = "slow", 0.05  # deliveries are in flight at the kill
    key = credentials["keys"]["MES-01"]
    orders = [f"CRASH-{n:03d}" for n in range(80)]
    outcomes = {}
    refused = []

    def send(order_id):
        body = {"id": order_id, "product": "FG-PM200", "quantity": 2, "unit": "EA"}
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                response = requests.post(
                    state["server"].url + API + "/production-orders",
                    json=body,
                    headers={"Authorization": f"Bearer {key}", "Idempotency-Key": order_id},
                    timeout=30,
                )
            except requests.RequestException:
                refused.append(order_id)
                time.sleep(0.5)  # the server is down: the client retries with the same key
                continue
            if response.status_code < 500:
                outcomes[order_id] = response.status_code
                return
            time.sleep(0.5)

    threads = [
        threading.Thread(target=lambda chunk=orders[i::4]: [send(o) for o in chunk])
        for i in range(4)
    ]
    for thread in threads:
        thread.start()
    # the kill comes once the burst is under way, however fast the machine is
    wait_for(lambda: len(outcomes) >= 3, timeout=180, interval=0.05)
    answered_before_kill = len(outcomes)
    server = restart()  # SIGKILL of the server and its workers, then a new start
    for thread in threads:
        thread.join()
    assert 0 < answered_before_kill < len(orders), "the kill came in the middle of the burst"
    assert refused, "some requests met the dead server and were sent again"
    assert sorted(outcomes.values()) == [201] * len(orders), outcomes
    made = server.call(
        "mrp.production",
        "search_read",
        [("origin", "like", "MES-01:CRASH-")],
        ["origin", "name"],
    )
    assert sorted(m["origin"] for m in made) == [f"MES-01:{o}" for o in orders], "each once"
    receiver.mode = "ok"
    # drains the crash left 'started' are found by the watchdog and requeued
    deliveries, dead, received = settle_deliveries(server, receiver)
    assert dead == 0 and len(received) == deliveries, "every event delivered"
    # and the MES heard of every order the burst created, the crash notwithstanding
    confirmed = received_subjects(receiver, "MES-01", "mrp.production.confirmed.v1")
    assert {f"mrp.production/{m['name']}" for m in made} <= confirmed
    print(
        f"\n{answered_before_kill} of {len(orders)} orders answered before the kill, "
        f"{len(refused)} sends refused while down, {deliveries} deliveries all delivered"
    )
