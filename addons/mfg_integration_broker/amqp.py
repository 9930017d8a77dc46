"""RabbitMQ (AMQP 0-9-1) as the broker addon uses it, free of Odoo models.

- ``ConfirmedPublisher``: one connection whose channel is in confirm mode;
  a batch of messages is published at once and the broker's confirms of the
  whole batch are collected together (one round trip per batch, not per
  message). A message counts as published only once the broker confirmed
  it; a returned (unroutable) or nacked message, a lost connection and a
  timeout are failures of the messages they concern.
- ``declare_queue``: a quorum queue with a dead-letter queue and a delivery
  limit, over AMQP (no management plugin).
- ``cloudevent_message``: the CloudEvents RabbitMQ binding (binary mode with
  ``ce-`` headers, or structured ``application/cloudevents+json``).
"""

import contextlib
import json
import logging
import time
from dataclasses import dataclass, field

import pika
from pika.adapters.select_connection import IOLoop, SelectConnection
from pika.exchange_type import ExchangeType

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
# pika tells of every socket and frame at INFO: only its warnings belong in Odoo's log
logging.getLogger("pika").setLevel(logging.WARNING)
EXCHANGE_TYPES = [t.value for t in ExchangeType]


class BrokerUnavailable(Exception):
    """The broker could not be reached, or dropped the connection."""


def connection_parameters(url, username=None, password=None, timeout=10.0, heartbeat=60):
    """pika parameters for an amqp(s):// URL; credentials apart from the URL."""
    parameters = pika.URLParameters(url)
    if username:
        parameters.credentials = pika.PlainCredentials(username, password or "")
    parameters.socket_timeout = timeout
    parameters.blocked_connection_timeout = timeout
    parameters.stack_timeout = timeout * 2
    parameters.connection_attempts = 1
    parameters.heartbeat = heartbeat
    return parameters


@dataclass
class OutgoingMessage:
    exchange: str
    routing_key: str
    body: bytes
    properties: pika.BasicProperties


@dataclass
class PublishResult:
    ok: bool
    error: str | None = None
    latency_ms: float = 0.0


def cloudevent_message(envelope, structured=False):
    """(headers, content_type, body) of a CloudEvents envelope (a dict with
    ``data``) under the RabbitMQ protocol binding."""
    if structured:
        body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
        return {}, STRUCTURED_CONTENT_TYPE, body
    headers = {
        f"ce-{name}": str(value)
        for name, value in envelope.items()
        if name not in ("data", "datacontenttype") and value is not None
    }
    data = envelope.get("data")
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return headers, envelope.get("datacontenttype") or "application/json", body


@dataclass
class _Batch:
    tags: dict = field(default_factory=dict)  # delivery tag -> index in the batch
    results: dict = field(default_factory=dict)  # index -> PublishResult
    returned: dict = field(default_factory=dict)  # message id -> why
    started: float = 0.0


class ConfirmedPublisher:
    """Publish batches over one connection with publisher confirms.

    Used as a context manager around a drain: the connection opens lazily on
    the first batch, and again after it was lost.
    """

    def __init__(self, parameters, timeout=10.0):
        self._parameters = parameters
        self._timeout = timeout
        self._loop = None
        self._connection = None
        self._channel = None
        self._error = None
        self._done = None
        self._next_tag = 0
        self._batch = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- the event loop ------------------------------------------------------
    def _run_until(self, done):
        """Run pika's event loop until done() or an error, at most the timeout."""
        if done() or self._error:
            return
        self._done = done
        timer = self._loop.call_later(self._timeout, self._on_timeout)
        self._loop.start()
        self._loop.remove_timeout(timer)
        self._done = None

    def _wake(self):
        if self._done is not None and (self._error or self._done()):
            self._loop.stop()

    def _on_timeout(self):
        self._error = self._error or f"no answer from the broker within {self._timeout:g} s"
        self._loop.stop()

    # -- connection ----------------------------------------------------------
    def open(self):
        if self._channel is not None and self._channel.is_open:
            return
        self.close()
        self._error = None
        self._loop = IOLoop()
        self._connection = SelectConnection(
            self._parameters,
            on_open_callback=self._on_connection_open,
            on_open_error_callback=self._on_connection_error,
            on_close_callback=self._on_connection_closed,
            custom_ioloop=self._loop,
        )
        self._run_until(lambda: self._channel is not None)
        if self._channel is None:
            error = self._error or "the broker did not open a channel"
            self.close()
            raise BrokerUnavailable(error)

    def _on_connection_open(self, connection):
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_connection_error(self, _connection, error):
        self._error = f"cannot connect to the broker: {error!r}"[:500]
        self._wake()

    def _on_connection_closed(self, _connection, reason):
        self._error = self._error or f"the broker closed the connection: {reason!r}"[:500]
        self._channel = None
        self._wake()

    def _on_channel_open(self, channel):
        channel.add_on_return_callback(self._on_return)
        channel.add_on_close_callback(self._on_channel_closed)
        self._next_tag = 0
        channel.confirm_delivery(
            self._on_confirm, callback=lambda _frame: self._channel_ready(channel)
        )

    def _channel_ready(self, channel):
        self._channel = channel
        self._wake()

    def _on_channel_closed(self, _channel, reason):
        self._error = self._error or f"the broker closed the channel: {reason!r}"[:500]
        self._channel = None
        self._wake()

    def close(self):
        if self._connection is not None and self._connection.is_open:
            # a broken connection: nothing is left to close
            with contextlib.suppress(Exception):
                self._connection.close()
                self._run_until(lambda: self._connection.is_closed)
        if self._loop is not None:
            self._loop.close()
        self._loop = self._connection = self._channel = None

    # -- publishing ----------------------------------------------------------
    def _on_return(self, _channel, method, properties, _body):
        if self._batch is not None:
            self._batch.returned[properties.message_id] = (
                f"unroutable: {method.reply_code} {method.reply_text} (exchange "
                f"'{method.exchange}', routing key '{method.routing_key}')"
            )

    def _on_confirm(self, frame):
        batch = self._batch
        if batch is None:
            return
        method = frame.method
        acked = isinstance(method, pika.spec.Basic.Ack)
        tags = (
            [tag for tag in batch.tags if tag <= method.delivery_tag]
            if method.multiple
            else [method.delivery_tag]
        )
        elapsed = (time.perf_counter() - batch.started) * 1000.0
        for tag in tags:
            index = batch.tags.pop(tag, None)
            if index is not None:
                batch.results[index] = PublishResult(
                    acked, None if acked else "the broker refused the message (nack)", elapsed
                )
        self._wake()

    def publish_batch(self, messages):
        """Publish ``messages`` (OutgoingMessage, each with a message_id) with
        ``mandatory``; return one PublishResult per message, in order."""
        if not messages:
            return []
        try:
            self.open()
        except BrokerUnavailable as error:
            return [PublishResult(False, str(error)) for _message in messages]
        batch = self._batch = _Batch(started=time.perf_counter())
        try:
            for index, message in enumerate(messages):
                self._channel.basic_publish(
                    message.exchange,
                    message.routing_key,
                    message.body,
                    message.properties,
                    mandatory=True,
                )
                self._next_tag += 1
                batch.tags[self._next_tag] = index
            self._run_until(lambda: not batch.tags)
        except Exception as error:  # the connection dropped while publishing
            self._error = self._error or f"{type(error).__name__}: {error}"[:500]
        finally:
            self._batch = None
        results = []
        for index, message in enumerate(messages):
            result = batch.results.get(index)
            if result is None:
                result = PublishResult(False, f"not confirmed: {self._error}")
            elif result.ok and message.properties.message_id in batch.returned:
                result = PublishResult(
                    False, batch.returned[message.properties.message_id], result.latency_ms
                )
            results.append(result)
        if self._error:
            self.close()  # unconfirmed messages make the channel unusable: start afresh
        return results


def declare_queue(
    channel, name, dead_letter_exchange, delivery_limit=5, single_active_consumer=False
):
    """A durable quorum queue whose rejected and over-delivered messages go to
    ``<name>.dead`` through the dead-letter exchange."""
    channel.exchange_declare(dead_letter_exchange, ExchangeType.direct, durable=True)
    channel.queue_declare(f"{name}.dead", durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(f"{name}.dead", dead_letter_exchange, routing_key=name)
    arguments = {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": dead_letter_exchange,
        "x-dead-letter-routing-key": name,
        "x-delivery-limit": delivery_limit,
    }
    if single_active_consumer:
        arguments["x-single-active-consumer"] = True
    channel.queue_declare(name, durable=True, arguments=arguments)


def blocking_connection(parameters):
    try:
        return pika.BlockingConnection(parameters)
    except pika.exceptions.AMQPError as error:
        raise BrokerUnavailable(f"cannot connect to the broker: {error!r}") from error


@dataclass
class ReceivedMessage:
    """A message read from a queue, as the command pipeline needs it."""

    body: bytes
    headers: dict
    content_type: str | None = None
    message_id: str | None = None
    correlation_id: str | None = None
    reply_to: str | None = None
    delivery_count: int = 0  # earlier deliveries of this message (x-delivery-count)

    @classmethod
    def from_pika(cls, properties, body):
        headers = {
            str(key): value.decode(errors="replace") if isinstance(value, bytes) else value
            for key, value in (properties.headers or {}).items()
        }
        try:
            count = int(headers.get("x-delivery-count") or 0)
        except (TypeError, ValueError):
            count = 0
        return cls(
            body=body or b"",
            headers=headers,
            content_type=properties.content_type,
            message_id=properties.message_id,
            correlation_id=properties.correlation_id,
            reply_to=properties.reply_to,
            delivery_count=count,
        )

    @property
    def attempt(self):
        return self.delivery_count + 1
