import os
import uuid
from urllib.parse import unquote, urlsplit, urlunsplit

import pika

from odoo.addons.mfg_integration_governance.tests.common import GovernanceCase

AMQP_URL = os.environ.get("MFG_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672/%2F"


class BrokerCase(GovernanceCase):
    """A broker connection to the real RabbitMQ, and names of this run's own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        parts = urlsplit(AMQP_URL)
        address = f"{parts.hostname}:{parts.port or 5672}"
        cls.broker_url = urlunsplit((parts.scheme, address, parts.path or "/%2F", "", ""))
        cls.connection = cls.env["mfg.integration.broker.connection"].create(
            {
                "name": "Test broker",
                "url": cls.broker_url,
                "username": unquote(parts.username or "guest"),
                "password": unquote(parts.password or "guest"),
                "timeout": 5,
            }
        )
        cls.prefix = f"test.{uuid.uuid4().hex[:10]}"

    def amqp(self):
        """A channel of the test's own on the broker, closed after the test."""
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        self.addCleanup(lambda: connection.is_open and connection.close())
        return connection.channel()

    def forget_queue(self, channel, *names):
        for name in names:
            self.addCleanup(lambda n=name: channel.connection.is_open and channel.queue_delete(n))

    def take(self, channel, queue):
        """Every message waiting in a queue: [(method, properties, body)]
        (a consumer: single-active-consumer queues refuse basic.get)."""
        messages = []
        for method, properties, body in channel.consume(queue, inactivity_timeout=0.5):
            if method is None:
                break
            channel.basic_ack(method.delivery_tag)
            messages.append((method, properties, body))
        channel.cancel()
        return messages
