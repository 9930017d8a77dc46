"""The master data commands over a real RabbitMQ queue: what REST carries,
the broker's command queues carry as well, with nothing of their own."""

import json
import os
import uuid
from urllib.parse import unquote, urlsplit, urlunsplit

import pika

from odoo.tests import tagged

from odoo.addons.mfg_integration_broker.amqp import ReceivedMessage

from .common import INCIDENT_LOGGER, MasterdataCase

AMQP_URL = os.environ.get("MFG_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672/%2F"


@tagged("post_install", "-at_install")
class TestOverBroker(MasterdataCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        parts = urlsplit(AMQP_URL)
        connection = cls.env["mfg.integration.broker.connection"].create(
            {
                "name": "PLM broker",
                "url": urlunsplit(
                    (parts.scheme, f"{parts.hostname}:{parts.port or 5672}", parts.path, "", "")
                ),
                "username": unquote(parts.username or "guest"),
                "password": unquote(parts.password or "guest"),
                "timeout": 5,
            }
        )
        cls.queue = cls.env["mfg.integration.broker.queue"].create(
            {
                "name": f"mfg_integration_masterdata.test.{uuid.uuid4().hex[:10]}.commands",
                "connection_id": connection.id,
                "client_id": cls.plm_client.id,
                "max_attempts": 1,
            }
        )
        cls.xref(cls.plm, "workcenter", "WC-ASSY", cls.workcenter)

    def publish_and_consume(self, *messages):
        """Publish (command, body) messages to the queue on the broker, then
        read each back and run it as the consumer does; the outcomes."""
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        self.addCleanup(connection.close)
        channel = connection.channel()
        self.addCleanup(
            lambda: connection.is_open
            and [
                channel.queue_delete(name) for name in (self.queue.name, f"{self.queue.name}.dead")
            ]
        )
        self.queue.action_declare()
        for command, body in messages:
            channel.basic_publish(
                "",
                self.queue.name,
                json.dumps(body),
                pika.BasicProperties(
                    message_id=str(uuid.uuid4()),
                    content_type="application/json",
                    headers={"ce-type": command, "ce-specversion": "1.0"},
                ),
            )
        outcomes = []
        for method, properties, body in channel.consume(self.queue.name, inactivity_timeout=2):
            if method is None:
                break
            outcome = self.queue._consume(ReceivedMessage.from_pika(properties, body))
            if outcome.action == "ack":
                channel.basic_ack(method.delivery_tag)
            else:
                channel.basic_nack(method.delivery_tag, requeue=False)
            outcomes.append(outcome)
            if len(outcomes) == len(messages):
                break
        channel.cancel()
        return outcomes

    def test_items_and_a_bom_revision_over_a_queue(self):
        bom = {
            "parent": "BRK-100",
            "revision": "A",
            "quantity": 1,
            "unit": "EA",
            "change_number": "ECN-Q1",
            "operations": [{"code": "OP10", "workcenter": "WC-ASSY", "duration_minutes": 3}],
            "lines": [{"component": "BRK-200", "quantity": 2, "operation": "OP10"}],
        }
        with self.assertLogs(INCIDENT_LOGGER, "WARNING") as logs:
            outcomes = self.publish_and_consume(
                (
                    "item.upsert",
                    {"part_number": "BRK-200", "revision": "A", "name": "Pin", "unit": "EA"},
                ),
                (
                    "item.upsert",
                    {"part_number": "BRK-100", "revision": "A", "name": "Hub", "unit": "EA"},
                ),
                ("bom.release", bom),
                (
                    "bom.release",
                    {**bom, "revision": "B", "lines": [{"component": "BRK-404", "quantity": 1}]},
                ),
            )
        self.assertEqual(
            [(outcome.action, outcome.response.status) for outcome in outcomes],
            [("ack", 200), ("ack", 200), ("ack", 200), ("dead", 422)],
        )
        parent = self.product("BRK-100")
        released = self.env["mrp.bom"]._bom_find(parent)[parent]
        self.assertEqual(
            (released.mfg_revision, released.mfg_change_number, released.bom_line_ids.product_id),
            ("A", "ECN-Q1", self.product("BRK-200")),
        )
        self.assertEqual(len(self.events("masterdata.bom.released.v1", released)), 1)
        # the bad revision is kept as a dead message, with an exception saying what to fix
        problem = outcomes[-1].response.body
        self.assertEqual(problem["errors"][0]["pointer"], "/lines/0/component")
        self.assertEqual(self.queue.dead_message_count, 1)
        self.assertTrue(any("BRK-404" in line for line in logs.output))
