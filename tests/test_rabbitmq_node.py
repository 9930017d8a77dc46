"""The private RabbitMQ node of the fault tests: a persistent message that the
node confirmed in a durable quorum queue is there again after the node was
stopped and started, and after it was killed and started. Needs no Odoo."""

import tempfile
import time

import pika
import pytest
from rabbitmq_node import PrivateRabbitNode

QUEUE = "mfg.test.node-restart"


@pytest.fixture
def node():
    # outside pytest's private temporary folder: the node runs as another user
    node = PrivateRabbitNode(tempfile.mkdtemp(prefix="mfg-rabbitmq-"))
    yield node
    node.cleanup()
    assert not node.running() and not node.root.exists()


def publish_confirmed(url, body, message_id):
    """Publish a persistent message; return how many messages the queue then holds."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.queue_declare(QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
        channel.confirm_delivery()
        # raises unless the broker routed the message and confirmed it
        channel.basic_publish(
            "",
            QUEUE,
            body,
            pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent, message_id=message_id),
            mandatory=True,
        )
        return channel.queue_declare(QUEUE, passive=True).method.message_count
    finally:
        connection.close()


def take_one(url):
    """The next message of the queue, acknowledged: (message id, body), or None."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        method, properties, body = channel.basic_get(QUEUE)
        if method is None:
            return None
        channel.basic_ack(method.delivery_tag)
        return properties.message_id, body
    finally:
        connection.close()


def timed(action):
    started = time.monotonic()
    action()
    return time.monotonic() - started


def test_confirmed_message_survives_stop_and_kill(node):
    first_start = timed(node.start)
    assert publish_confirmed(node.url, b"before the stop", "m-1") == 1
    assert node.rabbitmqctl("list_queues", "name", "type", "durable").split() == [
        "name", "type", "durable", QUEUE, "quorum", "true",
    ]  # fmt: skip

    stop = timed(node.stop)
    assert not node.running()
    restart = timed(node.start)
    assert take_one(node.url) == ("m-1", b"before the stop")
    assert take_one(node.url) is None

    assert publish_confirmed(node.url, b"before the kill", "m-2") == 1
    node.kill()
    assert not node.running()
    start_after_kill = timed(node.start)
    assert take_one(node.url) == ("m-2", b"before the kill")

    print(
        f"\nprivate RabbitMQ node: first start {first_start:.1f} s, stop {stop:.1f} s, "
        f"start after stop {restart:.1f} s, start after kill {start_after_kill:.1f} s"
    )
