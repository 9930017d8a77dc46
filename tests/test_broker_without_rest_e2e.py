"""The broker is a transport of the command layer, not of REST: on a database
with core, governance, the command addon, the exception app and the broker
(no REST addon, no business addon), a command consumer applies commands
from a real queue, answers them, and dead-letters what it cannot apply."""

import json
import os
import time
import uuid
from urllib.parse import unquote, urlsplit, urlunsplit

import pika
import pytest
from broker_harness import new_prefix, start_consumer, stop_consumer
from harness import odoo_shell

SETUP = r"""
import json
system = env["mfg.integration.system"].create({"code": "%(prefix)s", "name": "%(prefix)s"})
client = env["mfg.integration.client"].create({"name": "%(prefix)s", "system_id": system.id})
client.with_context(mfg_client_lifecycle=True).write({"state": "approved"})
connection = env["mfg.integration.broker.connection"].create({
    "name": "%(prefix)s", "url": "%(url)s", "username": "%(user)s",
    "password": "%(password)s", "timeout": 5})
queue = env["mfg.integration.broker.queue"].create({
    "name": "%(prefix)s.commands", "connection_id": connection.id,
    "client_id": client.id, "max_attempts": 1})
queue.action_declare()
batch = env["mfg.integration.api.request"].create({
    "client_id": client.id, "command_name": "request.get", "item_count": 0,
    "route": "tests", "state": "done"})
env.cr.commit()
print("RESULT" + json.dumps({"batch": batch.id, "queue": queue.name}))
"""

OUTCOME = r"""
import json
logs = env["mfg.integration.message.log"].search(
    [("route", "=", "AMQP %(queue)s")], order="id")
dead = env["mfg.integration.broker.dead.message"].search(
    [("queue_id.name", "=", "%(queue)s")])
print("RESULT" + json.dumps({
    "installed": sorted(env["ir.module.module"].search([
        ("state", "=", "installed"), ("name", "like", "mfg_integration_%%")]).mapped("name")),
    "rest": "mfg.integration.api" in env,
    "logs": [[log.status, log.http_status] for log in logs],
    "dead": [[message.message_id, message.state] for message in dead],
}))
"""


def _result(printed):
    return json.loads(printed.split("RESULT", 1)[1].splitlines()[0])


@pytest.fixture(scope="module")
def minimal_broker():
    odoo_src = os.environ.get("MFG_ODOO_SRC")
    db = os.environ.get("MFG_MINIMAL_BROKER_DB")
    conf = os.environ.get("MFG_E2E_CONF")
    amqp_url = os.environ.get("MFG_AMQP_URL")
    if not (odoo_src and db and conf and amqp_url):
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    parts = urlsplit(amqp_url)
    values = {
        "prefix": new_prefix(),
        "url": urlunsplit(
            (parts.scheme, f"{parts.hostname}:{parts.port or 5672}", parts.path, "", "")
        ),
        "user": unquote(parts.username or "guest"),
        "password": unquote(parts.password or "guest"),
    }
    made = _result(odoo_shell(odoo_src, conf, db, SETUP % values))
    return odoo_src, conf, db, amqp_url, made


def _ask(amqp_url, queue, message_id, subject, timeout=60):
    """Publish a request.get command with a reply queue; return the reply's
    status header and body."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        reply_to = channel.queue_declare("", exclusive=True).method.queue
        channel.confirm_delivery()
        channel.basic_publish(
            "",
            queue,
            b"",
            pika.BasicProperties(
                message_id=message_id,
                reply_to=reply_to,
                headers={"ce-type": "request.get", "ce-subject": subject,
                         "ce-specversion": "1.0", "ce-source": "tests", "ce-id": message_id},
            ),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            method, properties, body = channel.basic_get(reply_to, auto_ack=True)
            if method:
                return properties.headers["status"], properties.content_type, json.loads(body)
            connection.sleep(0.2)
        raise AssertionError(f"no reply to {message_id} within {timeout} s")
    finally:
        connection.close()


def test_the_broker_applies_commands_without_the_rest_addon(minimal_broker, tmp_path):
    odoo_src, conf, db, amqp_url, made = minimal_broker
    consumer = start_consumer(odoo_src, conf, db, tmp_path / "consumer.log")
    try:
        status, content_type, body = _ask(
            amqp_url, made["queue"], f"ok-{uuid.uuid4().hex}", str(made["batch"])
        )
        assert (status, content_type) == (200, "application/json"), body
        assert (body["id"], body["status"], body["items"]) == (made["batch"], "done", 0)

        missing = f"missing-{uuid.uuid4().hex}"
        status, content_type, problem = _ask(amqp_url, made["queue"], missing, "999999999")
        assert (status, content_type) == (404, "application/problem+json"), problem
        assert problem["type"].endswith("/problems/not-found")
        assert "No request 999999999" in problem["detail"]
    finally:
        stop_consumer(consumer)

    out = _result(odoo_shell(odoo_src, conf, db, OUTCOME % {"queue": made["queue"]}))
    assert "mfg_integration_api" not in out["installed"]
    assert {"mfg_integration_broker", "mfg_integration_command"} <= set(out["installed"])
    assert out["rest"] is False
    # both messages are in the message log with their outcome; the refused one,
    # at its last attempt, is kept as a dead message a planner can retry
    assert out["logs"] == [["success", 200], ["rejected", 404]]
    assert out["dead"] == [[missing, "dead"]]
