"""RabbitMQ end to end, with real processes: a broker node of the tests' own,
Odoo servers with their job runner, command consumers (`odoo-bin
mfg_broker_consumer`) and a subscriber reading what the broker sink
published. Each test counts both sides: commands applied (never twice) and
events published (none lost)."""

import json
import os
import signal
import tempfile
import threading
import time
import uuid

import pika
import pytest
import requests
from broker_harness import (
    Subscriber,
    configure_broker,
    new_prefix,
    send_commands,
    start_consumer,
    stop_consumer,
)
from harness import start_server, stop_server, wait_for
from rabbitmq_node import PrivateRabbitNode

API = "/api/mfg/v1"


@pytest.fixture(scope="module")
def node():
    """A RabbitMQ node of these tests' own: one of them stops it."""
    broker = PrivateRabbitNode(tempfile.mkdtemp(prefix="mfg-rabbit-"))
    try:
        broker.start()
        yield broker
    finally:
        broker.cleanup()


@pytest.fixture
def plant(odoo_server, node, tmp_path):
    """This test's queue, sink and client on the shared end-to-end server, and
    a way to start consumers that stop with the test."""
    env = os.environ
    prefix = new_prefix()
    names = configure_broker(odoo_server, node.url, prefix)
    consumers = []

    def consumer(db=None, prefetch=20):
        process = start_consumer(
            env["MFG_ODOO_SRC"],
            env["MFG_E2E_CONF"],
            db or odoo_server.db,
            tmp_path / f"consumer-{len(consumers)}.log",
            prefetch=prefetch,
        )
        consumers.append(process)
        return process

    yield prefix, names, consumer
    for process in consumers:
        if process.poll() is None:
            stop_consumer(process)
    # the next tests' consumers need not read this test's queue
    odoo_server.sql(
        f"UPDATE mfg_integration_broker_queue SET state = 'paused' WHERE id = {names['queue_id']}"
    )


def applied(server, prefix):
    """{name: times applied} of the test command's effects."""
    rows = server.sql(
        "SELECT name, count(*) FROM test_mfg_integration_echo_call "
        f"WHERE name LIKE '{prefix}-%' GROUP BY name"
    )
    return {line.split("|")[0]: int(line.split("|")[1]) for line in rows.splitlines() if line}


def commands(prefix, count, start=0):
    return [(str(uuid.uuid4()), {"name": f"{prefix}-{n}", "step": n}) for n in range(start, count)]


def test_commands_are_applied_once_and_answered(odoo_server, node, plant):
    prefix, names, consumer = plant
    # an active queue nobody declared on the broker holds back no other queue
    Queue = "mfg.integration.broker.queue"
    (queue,) = odoo_server.call(Queue, "read", [names["queue_id"]], ["connection_id", "client_id"])
    missing = odoo_server.call(
        Queue,
        "create",
        {
            "name": f"{prefix}.undeclared",
            "connection_id": queue["connection_id"][0],
            "client_id": queue["client_id"][0],
        },
    )
    process = consumer()
    odoo_server.call(Queue, "write", [missing], {"state": "paused"})
    connection = pika.BlockingConnection(pika.URLParameters(node.url))
    channel = connection.channel()
    replies = channel.queue_declare("", exclusive=True).method.queue
    for n, body in enumerate([{"name": f"{prefix}-ok"}, {"name": ""}]):
        channel.basic_publish(
            "",
            names["queue"],
            json.dumps(body).encode(),
            pika.BasicProperties(
                message_id=f"{prefix}-m{n}",
                correlation_id=f"{prefix}-c{n}",
                reply_to=replies,
                content_type="application/json",
                headers={"ce-type": "test.thing.record"},
            ),
        )
    answers = {}
    for method, properties, body in channel.consume(replies, inactivity_timeout=60):
        if method is None:
            break
        answers[properties.correlation_id] = (properties.headers["status"], json.loads(body))
        channel.basic_ack(method.delivery_tag)
        if len(answers) == 2:
            break
    connection.close()
    assert answers[f"{prefix}-c0"][0] == 200
    assert f"Queue {prefix}.undeclared cannot be consumed" in open(process.log_path).read()
    # a consumer asked with SIGQUIT writes where it is to its log, and goes on
    process.send_signal(signal.SIGQUIT)
    assert wait_for(lambda: "in _consume" in open(process.log_path).read(), 30)
    assert process.poll() is None
    # the invalid one: its last attempt answers with the problem document
    status, problem = answers[f"{prefix}-c1"]
    assert status == 422 and problem["type"].endswith("/validation-error")
    assert applied(odoo_server, prefix) == {f"{prefix}-ok": 1}


def test_a_consumer_killed_mid_burst_loses_and_repeats_nothing(odoo_server, node, plant):
    prefix, names, consumer = plant
    burst = commands(prefix, 200)
    send_commands(node.url, names["queue"], burst)
    first = consumer(prefetch=50)
    assert wait_for(lambda: len(applied(odoo_server, prefix)) >= 40, 120)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    at_kill = len(applied(odoo_server, prefix))
    assert at_kill < 200, "the burst was over before the kill: nothing was tested"
    consumer(prefetch=50)
    assert wait_for(lambda: len(applied(odoo_server, prefix)) == 200, 180)
    time.sleep(2)  # anything redelivered late would show now
    counts = applied(odoo_server, prefix)
    assert len(counts) == 200 and set(counts.values()) == {1}
    print(f"\nconsumer killed after {at_kill} of 200 commands: 200 applied, 0 applied twice")


def test_two_servers_split_the_commands_and_publish_each_event_once(odoo_server, node, plant):
    prefix, names, consumer = plant
    env = os.environ
    # a second node on the same database, without a job runner (one per database)
    second_process, _second = start_server(
        env["MFG_ODOO_SRC"],
        env["MFG_E2E_CONF"],
        odoo_server.db,
        os.path.join(tempfile.mkdtemp(prefix="mfg-node2-"), "server.log"),
        ["--load=base,web,mfg_integration_api"],
    )
    try:
        burst = commands(prefix, 500)
        send_commands(node.url, names["queue"], burst)
        consumers = [consumer(), consumer()]
        assert wait_for(lambda: len(applied(odoo_server, prefix)) == 500, 300)
        counts = applied(odoo_server, prefix)
        assert set(counts.values()) == {1}
        subscriber = Subscriber(node.url, names["subscriber"])
        effects = subscriber.drain(500, timeout=240)
        assert len(effects) == 500
        assert sorted(effects.values()) == sorted(f"thing/{body['name']}" for _i, body in burst)
        assert subscriber.duplicates == 0
        per_user = odoo_server.sql(
            "SELECT count(DISTINCT create_uid) FROM test_mfg_integration_echo_call "
            f"WHERE name LIKE '{prefix}-%'"
        )
        assert per_user == "1"  # all as the client's technical user
        acknowledged = []
        for process in consumers:
            stop_consumer(process)
            counts = open(process.log_path).read().rpartition("Command consumer stopped: ")[2]
            acknowledged.append(json.loads(counts.splitlines()[0])["ack"])
        assert min(acknowledged) > 0 and sum(acknowledged) >= 500, acknowledged
        print(
            f"\n500 commands over two consumers ({acknowledged}): 500 applied once; 500 "
            f"events published, {subscriber.deliveries} deliveries read, 0 duplicates"
        )
    finally:
        stop_server(second_process)


def test_malformed_messages_are_dead_lettered_and_the_queue_goes_on(odoo_server, node, plant):
    prefix, names, consumer = plant
    limit = "mfg_integration.api_max_payload_bytes"
    odoo_server.login()
    odoo_server.call("ir.config_parameter", "set_param", limit, 4096)
    try:
        kinds = {
            "not JSON": (b"{not json", "test.thing.record"),
            "unknown command": (b'{"name": "x"}', "test.nothing.at.all"),
            "schema violation": (b'{"name": ""}', "test.thing.record"),
            "unmapped code": (b'{"kind": "unmapped"}', "test.fail"),
            "oversize": (json.dumps({"name": "x" * 5000}).encode(), "test.thing.record"),
        }
        connection = pika.BlockingConnection(pika.URLParameters(node.url))
        channel = connection.channel()
        channel.confirm_delivery()
        sent = 0
        for kind, (body, command_type) in kinds.items():
            for n in range(200):
                channel.basic_publish(
                    "",
                    names["queue"],
                    body,
                    pika.BasicProperties(
                        message_id=f"{prefix}-{kind}-{n}",
                        content_type="application/json",
                        headers={"ce-type": command_type},
                    ),
                )
                sent += 1
        good_id = str(uuid.uuid4())
        channel.basic_publish(
            "",
            names["queue"],
            json.dumps({"name": f"{prefix}-behind"}).encode(),
            pika.BasicProperties(message_id=good_id, headers={"ce-type": "test.thing.record"}),
        )
        connection.close()
        consumer(prefetch=50)
        consumer(prefetch=50)  # competing: one bad message does not hold the other back

        def dead_count():
            return int(
                odoo_server.sql(
                    "SELECT count(*) FROM mfg_integration_broker_dead_message "
                    f"WHERE queue_id = {names['queue_id']}"
                )
            )

        assert wait_for(lambda: dead_count() == sent, 400), f"{dead_count()} of {sent} dead"
        assert wait_for(lambda: applied(odoo_server, prefix) == {f"{prefix}-behind": 1}, 60)
        # an exception per fingerprint, with every dead message as an occurrence
        occurrences = odoo_server.sql(
            "SELECT count(*), count(DISTINCT exception_id) "
            "FROM mfg_integration_exception_occurrence "
            "WHERE source_model = 'mfg.integration.broker.dead.message' AND source_id IN "
            "(SELECT id FROM mfg_integration_broker_dead_message "
            f"WHERE queue_id = {names['queue_id']})"
        )
        count, exceptions = map(int, occurrences.split("|"))
        assert count == sent
        assert 5 <= exceptions < sent
        # the broker's dead-letter queue has its copy of each
        probe = pika.BlockingConnection(pika.URLParameters(node.url))
        dead_letters = (
            probe.channel()
            .queue_declare(f"{names['queue']}.dead", passive=True)
            .method.message_count
        )
        probe.close()
        assert dead_letters == sent
        print(
            f"\n{sent} malformed messages: {sent} dead-lettered, {exceptions} exceptions, "
            "0 applied; the command behind them applied"
        )
    finally:
        odoo_server.call("ir.config_parameter", "set_param", limit, 5242880)


def test_a_broker_outage_loses_no_event(odoo_server, node, plant):
    prefix, names, _consumer = plant
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {names['key']}"
    changes = 120
    errors = []

    def burst():
        for n in range(changes):
            try:
                response = session.post(
                    odoo_server.url + API + "/test/things",
                    json={"name": f"{prefix}-{n}", "step": n},
                )
            except Exception as error:  # reported by the test, not lost in the thread
                errors.append(repr(error))
                return
            if response.status_code != 200:
                errors.append(response.text)
            time.sleep(0.25)

    writer = threading.Thread(target=burst)
    writer.start()
    time.sleep(5)
    node.stop()
    stopped = time.monotonic()
    time.sleep(30)
    node.start()
    outage = time.monotonic() - stopped
    writer.join()
    assert not errors
    assert len(applied(odoo_server, prefix)) == changes
    subscriber = Subscriber(node.url, names["subscriber"])
    effects = subscriber.drain(changes, timeout=240)
    assert len(effects) == changes, f"{changes - len(effects)} events lost"
    assert sorted(effects.values()) == sorted(f"thing/{prefix}-{n}" for n in range(changes))
    dead = odoo_server.sql(
        f"SELECT count(*) FROM mfg_integration_broker_delivery WHERE sink_id = {names['sink_id']} "
        "AND state <> 'delivered'"
    )
    assert dead == "0"
    print(
        f"\nbroker down {outage:.0f} s during {changes} changes: {changes} published, "
        f"{len(effects)} consumed, lost 0, {subscriber.duplicates} redelivered, "
        "applied twice 0"
    )
