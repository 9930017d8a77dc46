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
from harness import odoo_shell, wait_for


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


CONFIGURE = """
import json
url, username, password, prefix, attempts = {args!r}
system = env["mfg.integration.system"].create({{"name": prefix, "code": prefix.upper()[-12:]}})
client = env["mfg.integration.client"].create({{
    "name": prefix,
    "system_id": system.id,
    "scope_ids": [(6, 0, env.ref("mfg_integration_governance.scope_mapping_read").ids)],
    "rate_limit_burst": 100000,
    "rate_limit_per_minute": 600000,
}})
client.with_context(mfg_client_lifecycle=True).write({{"state": "approved"}})
issued = client.with_user(env.ref("base.user_admin")).action_issue_key()
key = issued["context"]["mfg_api_key_secret"]
connection = env["mfg.integration.broker.connection"].create({{
    "name": prefix, "url": url, "username": username, "password": password, "timeout": 5}})
queue = env["mfg.integration.broker.queue"].create({{
    "name": prefix + ".commands", "connection_id": connection.id, "client_id": client.id,
    "max_attempts": attempts}})
queue.action_declare()
sink = env["mfg.integration.broker.sink"].create({{
    "name": prefix + " subscriber", "connection_id": connection.id,
    "exchange": prefix + ".events", "event_types": "test.outbox.*", "ordering": "fifo",
    "retry_schedule": "1,2,2,2,2", "max_attempts": 100, "failure_threshold": 3,
    "cooldown_seconds": 2,
    "binding_ids": [(0, 0, {{"queue": prefix + ".subscriber", "binding_key": "#"}})]}})
sink.action_declare_topology()
env.cr.commit()
print(json.dumps({{"queue": queue.name, "subscriber": prefix + ".subscriber",
                  "key": key, "sink_id": sink.id, "queue_id": queue.id}}))
"""


def configure_broker(odoo_src, conf, db, amqp_url, prefix, max_attempts=2):
    """A client, a command queue bound to it, and a FIFO broker sink with one
    subscriber queue, all declared on the broker; returns their names and the
    client's API key."""
    parts = urlsplit(amqp_url)
    url = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port or 5672}", parts.path, "", ""))
    args = (url, unquote(parts.username or "guest"), unquote(parts.password or "guest"),
            prefix, max_attempts)  # fmt: skip
    output = odoo_shell(odoo_src, conf, db, CONFIGURE.format(args=args))
    return json.loads(output.strip().splitlines()[-1])


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
