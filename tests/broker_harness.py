"""The broker side of end-to-end tests: command consumers in their own
processes, the broker set-up of a test database, and what a subscriber reads."""

import configparser
import json
import os
import subprocess
import sys
import time
import uuid
from urllib.parse import unquote, urlsplit, urlunsplit

import pika
from harness import wait_for


def start_consumer(odoo_src, conf, db, log_path, prefetch=20):
    """`odoo-bin mfg_broker_consumer` on db, once it consumes."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(conf)
    log_path = str(log_path)
    process = subprocess.Popen(
        [
            sys.executable,
            os.path.join(odoo_src, "odoo-bin"),
            f"--addons-path={config['options']['addons_path']}",
            "mfg_broker_consumer",
            "-c",
            conf,
            "-d",
            db,
            "--logfile",
            log_path,
            "--prefetch",
            str(prefetch),
            "--reload",
            "1",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log_path = log_path
    started = wait_for(
        lambda: os.path.exists(log_path) and "Consuming queue" in open(log_path).read(), 90
    )
    if not started:
        process.kill()
        tail = open(log_path).read()[-3000:] if os.path.exists(log_path) else "(no log)"
        raise RuntimeError(f"the consumer did not start:\n{tail}")
    return process


def stop_consumer(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def configure_broker(server, amqp_url, prefix, max_attempts=2):
    """A client, a command queue bound to it, and a FIFO broker sink with one
    subscriber queue, all declared on the broker, made over JSON-RPC as the
    administrator; returns their names, ids and the client's API key."""
    parts = urlsplit(amqp_url)
    url = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port or 5672}", parts.path, "", ""))
    client, key = server.approved_client(
        prefix.upper(), ["mapping:read"], rate_limit_burst=100000, rate_limit_per_minute=600000
    )
    call = server.call
    connection = call(
        "mfg.integration.broker.connection",
        "create",
        {
            "name": prefix,
            "url": url,
            "username": unquote(parts.username or "guest"),
            "password": unquote(parts.password or "guest"),
            "timeout": 5,
        },
    )
    queue = call(
        "mfg.integration.broker.queue",
        "create",
        {
            "name": f"{prefix}.commands",
            "connection_id": connection,
            "client_id": client,
            "max_attempts": max_attempts,
        },
    )
    call("mfg.integration.broker.queue", "action_declare", [queue])
    sink = call(
        "mfg.integration.broker.sink",
        "create",
        {
            "name": f"{prefix} subscriber",
            "connection_id": connection,
            "exchange": f"{prefix}.events",
            "event_types": "test.outbox.*",
            "ordering": "fifo",
            # an outage of the tests' length is retried within seconds of its end
            "retry_schedule": "1,2,2,2,2",
            "max_attempts": 100,
            "failure_threshold": 3,
            "cooldown_seconds": 2,
            "binding_ids": [(0, 0, {"queue": f"{prefix}.subscriber", "binding_key": "#"})],
        },
    )
    call("mfg.integration.broker.sink", "action_declare_topology", [sink])
    return {
        "queue": f"{prefix}.commands",
        "subscriber": f"{prefix}.subscriber",
        "key": key,
        "sink_id": sink,
        "queue_id": queue,
    }


def send_commands(amqp_url, queue, commands, command_type="test.thing.record"):
    """Publish [(message id, body)] to a command queue with publisher confirms."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for message_id, body in commands:
            channel.basic_publish(
                "",
                queue,
                body if isinstance(body, bytes) else json.dumps(body).encode(),
                pika.BasicProperties(
                    message_id=message_id,
                    content_type="application/json",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    headers={"ce-type": command_type, "ce-specversion": "1.0",
                             "ce-source": "tests", "ce-id": message_id},
                ),
            )  # fmt: skip
    finally:
        connection.close()


class Subscriber:
    """Reads a subscriber queue as an event consumer would: counts every
    delivery and applies each event id once."""

    def __init__(self, amqp_url, queue):
        self.amqp_url = amqp_url
        self.queue = queue
        self.deliveries = 0
        self.effects = {}  # event id: subject

    def drain(self, expected, timeout=180):
        """Read until `expected` distinct events arrived (or timeout)."""
        deadline = time.monotonic() + timeout
        while len(self.effects) < expected and time.monotonic() < deadline:
            try:
                connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
            except pika.exceptions.AMQPError:
                time.sleep(1)
                continue
            try:
                channel = connection.channel()
                for method, properties, _body in channel.consume(self.queue, inactivity_timeout=2):
                    if method is None:
                        if len(self.effects) >= expected or time.monotonic() > deadline:
                            break
                        continue
                    self.deliveries += 1
                    self.effects.setdefault(properties.message_id, properties.headers["ce-subject"])
                    channel.basic_ack(method.delivery_tag)
                    if len(self.effects) >= expected:
                        break
                channel.cancel()
            except pika.exceptions.AMQPError:
                time.sleep(1)
            finally:
                if connection.is_open:
                    connection.close()
        return self.effects

    @property
    def duplicates(self):
        return self.deliveries - len(self.effects)


def new_prefix():
    return f"e2e{uuid.uuid4().hex[:8]}"
