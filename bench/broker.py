"""RabbitMQ for the benchmarks: this run's topology, a subscriber in its own
process, the plain pika loop that the broker sink is compared with, and an MES
publishing commands. Used by bench/suite.py; no Odoo in this process."""

import base64
import configparser
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import pika

HERE = Path(__file__).resolve().parent

EVENT_TYPE = "mfg.integration.bench.v1"  # declared by the benchmark addon
# what a production order's event carries, so that the messages have a real size
EVENT_DATA = {
    "production": {"model": "mrp.production", "odoo_id": 0, "name": "WH/MO/00000"},
    "product": {"model": "product.product", "odoo_id": 0, "name": "Bench valve"},
    "state": "done",
    "planned_quantity": 2.0,
    "produced_quantity": 2.0,
    "scrapped_quantity": 0.0,
    "unit": "Units",
    "lot": None,
    "date_start": "2025-01-01 06:00:00",
    "date_deadline": "2025-01-01 14:00:00",
    "origin": "MES-01:BENCH",
    "consumed": [{"product": {"model": "product.product", "odoo_id": 0}, "quantity": 2.0}],
}


def topology(prefix):
    """The names of this run's exchanges and queues."""
    return {
        "events": f"{prefix}.events",  # the sink's exchange
        "subscriber": f"{prefix}.subscriber",  # the subscriber's queue on it
        "commands": f"{prefix}.commands",  # bound to MES-01's client
        "backlog": f"{prefix}.backlog",  # the same client; paused until the backlog is read
        "commands_dead_letter": f"{prefix}.commands.dead-letter",
    }


def delete_topology(amqp_url, names):
    """Delete this run's queues (with their dead-letter queues) and exchanges;
    return what could not be deleted."""
    queues = [names[key] for key in ("subscriber", "commands", "backlog")]
    queues += [f"{queue}.dead" for queue in queues]
    exchanges = [names["events"], f"{names['events']}.dead-letter", names["commands_dead_letter"]]
    failed = []
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        for delete, name in [("queue_delete", queue) for queue in queues] + [
            ("exchange_delete", exchange) for exchange in exchanges
        ]:
            channel = connection.channel()  # a refusal closes its channel only
            try:
                getattr(channel, delete)(name)
                channel.close()
            except pika.exceptions.ChannelClosedByBroker as error:
                failed.append(f"{name}: {error}")
    finally:
        connection.close()
    return failed


def connection_values(amqp_url):
    """The fields of an Odoo broker connection for an AMQP URL (the URL without
    its credentials, which have fields of their own)."""
    parts = urlsplit(amqp_url)
    return {
        "url": urlunsplit(
            (parts.scheme, f"{parts.hostname}:{parts.port or 5672}", parts.path, "", "")
        ),
        "username": unquote(parts.username or "guest"),
        "password": unquote(parts.password or "guest"),
    }


def consumer_config(conf, folder):
    """The server's configuration for the consumers, with the consumer's own log
    at INFO: its "Consuming queue" tells start_consumer that it consumes."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(conf)
    config["options"]["log_handler"] = "odoo.addons.mfg_integration_broker.consumer:INFO"
    path = Path(folder) / "odoo-consumer.conf"
    with open(path, "w") as file:
        config.write(file)
    return str(path)


def process_memory_mb(pid, field="VmRSS"):
    """A process's resident memory now (VmRSS) or at its highest (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class SubscriberProcess:
    """bench/subscriber.py reading a queue: what arrived, and when."""

    def __init__(self, amqp_url, queue, folder):
        self.path = Path(folder) / f"{queue}.arrivals"
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "subscriber.py"), amqp_url, queue, str(self.path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.process.stdout.readline().strip() != "consuming":
            self.stop()
            raise RuntimeError(f"the subscriber of {queue} did not start")

    def arrivals(self, prefix):
        """{message id: (arrival time, subject)} of the subjects under prefix;
        the first arrival of a message that came twice."""
        found = {}
        text = self.path.read_text() if self.path.exists() else ""
        for line in text.splitlines(keepends=True):
            if not line.endswith("\n"):
                break  # being written
            arrived, message_id, subject = line.rstrip("\n").split("\t")
            if subject.startswith(prefix):
                found.setdefault(message_id, (float(arrived), subject))
        return found

    def wait(self, prefix, count, timeout):
        """arrivals(prefix) once there are count of them, or after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.arrivals(prefix)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def sample(self):
        """The first message it read, whole."""
        return json.loads(Path(str(self.path) + ".sample").read_text())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


# Run by `odoo-bin shell` against the bench database. It waits for a file to
# say "go" (what runs meanwhile is set-up, not measured), then emits two runs.
EMIT_SCRIPT = """
import json, os, time
Event = env["mfg.integration.event"]
Delivery = env["mfg.integration.broker.delivery"]
Job = env["queue.job"]
sink = env["mfg.integration.broker.sink"].browse({sink})
data = json.loads({data!r})
committed = {{}}

def emit(run):
    for batch in range({batches}):
        for index in range(10):
            Event._emit("{event_type}", sink, dict(data, emitted_at=time.time()),
                        subject="bench/%s/%s/%s" % (run, batch, index))
        env.cr.commit()
        committed["%s/%s" % (run, batch)] = time.time()

deadline = time.time() + 900
while not os.path.exists({flag!r}) and time.time() < deadline:
    time.sleep(0.05)
env.cr.rollback()  # the first batch in a transaction of its own, not one open since the start
if os.path.exists({flag!r}) and open({flag!r}).read() == "go":
    # latency: the sink is active, events are committed 10 at a time
    emit("latency")
    waiting = [("sink_id", "=", sink.id), ("state", "in", ["pending", "retrying"])]
    drain_jobs = [
        ("identity_key", "=", "%s_drain_%s" % (sink._table, sink.id)),
        ("state", "in", ["wait_dependencies", "pending", "enqueued", "started"]),
    ]
    stranded, orphaned_since, deadline = 0, None, time.time() + 600
    while time.time() < deadline:
        env.cr.rollback()  # a fresh snapshot
        left = Delivery.search_count(waiting)
        if not left:
            break
        if Job.search_count(drain_jobs):
            orphaned_since = None
        elif orphaned_since is None:
            orphaned_since = time.time()
        elif time.time() - orphaned_since > 1:
            # waiting deliveries that no drain job will send: the outbox's
            # watchdog cron wakes them within a minute; it does not run in the
            # benchmark's server, so it is called here at once
            stranded += left
            sink._cron_watchdog()
            env.cr.commit()
            orphaned_since = None
        time.sleep(0.05)
    # throughput: a backlog of the same size waits behind the paused sink
    sink.write({{"state": "paused"}})
    env.cr.commit()
    emit("drain")
    print("COMMITTED " + json.dumps(committed))
    print("STRANDED %s" % stranded)
"""


def plain_pika_loop(amqp_url, subscriber, count):
    """The loop an integrator would write: a BlockingConnection channel with
    confirm_delivery(), publishing each message and waiting for its confirm.
    The messages are copies of one the sink published (body, headers and
    properties), persistent and mandatory, to the same exchange and routing key.
    Returns (messages per second from the connection's opening to the last
    one's receipt by the subscriber, publish-to-confirm latencies in ms)."""
    sample = subscriber.sample()
    body = base64.b64decode(sample["body"])
    latencies = []
    started = time.time()
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for index in range(count):
            event_id = f"evt_{uuid.uuid4().hex}"
            headers = {**sample["headers"], "ce-id": event_id, "ce-subject": f"bench/loop/{index}"}
            properties = pika.BasicProperties(
                message_id=event_id,
                correlation_id=sample["correlation_id"],
                timestamp=int(time.time()),
                content_type=sample["content_type"],
                type=sample["type"],
                app_id=sample["app_id"],
                delivery_mode=pika.DeliveryMode.Persistent,
                headers=headers,
            )
            sent = time.perf_counter()
            # raises on a nack, or on a return (unroutable)
            channel.basic_publish(
                sample["exchange"], sample["routing_key"], body, properties, mandatory=True
            )
            latencies.append((time.perf_counter() - sent) * 1000)
    finally:
        connection.close()
    arrived = subscriber.wait("bench/loop/", count, 120)
    if len(arrived) < count:
        raise RuntimeError(f"{len(arrived)} of {count} messages of the loop arrived")
    return count / (max(t for t, _subject in arrived.values()) - started), latencies


def confirm_production_orders(amqp_url, queue, order_ids, timeout=600):
    """An MES confirming production orders over the broker: a final
    confirmation of each order published to the command queue (persistent, a
    publisher confirm each, reply_to), then the replies read. Returns the
    confirmations per second from the first publish to the last reply; raises
    unless every order was answered with success."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    answers = {}
    try:
        channel = connection.channel()
        replies = channel.queue_declare("", exclusive=True).method.queue
        channel.confirm_delivery()
        body = json.dumps({"produced_quantity": 2, "final": True}).encode()
        started = time.perf_counter()
        for order_id in order_ids:
            message_id = str(uuid.uuid4())
            channel.basic_publish(
                "",
                queue,
                body,
                pika.BasicProperties(
                    message_id=message_id,  # the idempotency key
                    correlation_id=order_id,
                    reply_to=replies,
                    content_type="application/json",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    headers={
                        "ce-type": "production_order.confirm",
                        "ce-subject": order_id,  # {id} of /production-orders/{id}/confirmations
                        "ce-specversion": "1.0",
                        "ce-source": "/mes-01",
                        "ce-id": message_id,
                    },
                ),
                mandatory=True,
            )
        deadline = time.monotonic() + timeout
        for method, properties, reply in channel.consume(
            replies, auto_ack=True, inactivity_timeout=1
        ):
            if method is not None:
                status = (properties.headers or {}).get("status")
                answers[properties.correlation_id] = (status, reply)
            if len(answers) == len(order_ids) or time.monotonic() > deadline:
                break
        elapsed = time.perf_counter() - started
        channel.cancel()
    finally:
        connection.close()
    refused = {order: answer for order, answer in answers.items() if answer[0] not in (200, 201)}
    if len(answers) < len(order_ids) or refused:
        raise RuntimeError(
            f"{len(answers)} of {len(order_ids)} confirmations answered, {len(refused)} "
            f"refused; first refused: {next(iter(refused.items()), None)}"
        )
    return len(order_ids) / elapsed


def publish_commands(amqp_url, queue, count, prefix):
    """Publish count trivial commands (bench.echo, the benchmark addon's) to a
    queue, each confirmed by the broker (a message it has not confirmed may
    be lost, and the measure would wait for it): a backlog to read, not a
    measure."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for n in range(count):
            message_id = f"{prefix}-{n}"
            channel.basic_publish(
                "",
                queue,
                json.dumps({"n": n}).encode(),
                pika.BasicProperties(
                    message_id=message_id,
                    content_type="application/json",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    headers={"ce-type": "bench.echo", "ce-specversion": "1.0",
                             "ce-source": "/mes-01", "ce-id": message_id},
                ),
            )  # fmt: skip
    finally:
        connection.close()


def ready_messages(amqp_url, queue, purge=False):
    """The messages ready in a queue (not those a consumer holds unacknowledged);
    with purge, they are deleted."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        if purge:
            return channel.queue_purge(queue).method.message_count
        return channel.queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()
