"""The command consumer: reads the active command queues of one database and
runs each message through the command pipeline.

Any number of consumers, on any nodes, compete for the same queues. A
message is acknowledged only after Odoo committed what it did: a consumer
killed at any moment leaves its unacknowledged messages to the broker, which
delivers them again, and the message id (the idempotency key) makes the
second delivery replay the first outcome instead of applying it twice.
Prefetch bounds what a consumer holds: a slow Odoo makes the queue grow, not
the consumer's memory.
"""

import contextlib
import json
import logging
import signal
import time
from functools import partial

import pika
import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools.misc import dumpstacks

from odoo.addons.mfg_integration_core import secrets_at_rest
from odoo.addons.mfg_integration_core.write_locks import run_serialized

from . import amqp

_logger = logging.getLogger(__name__)

# database trouble: hold the message and try again, it is nobody's fault
DATABASE_DOWN = (psycopg2.OperationalError, psycopg2.InterfaceError)
BROKER_DOWN = (pika.exceptions.AMQPError, amqp.BrokerUnavailable, OSError)


class CommandConsumer:
    def __init__(self, db_name, prefetch=20, reload_seconds=5.0):
        self.db_name = db_name
        self.prefetch = prefetch
        self.reload_seconds = reload_seconds
        self.stopping = False
        self.counts = {"ack": 0, "requeue": 0, "dead": 0, "wait": 0}

    def stop(self, *_args):
        self.stopping = True

    def install_signal_handlers(self):
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        # as Odoo's server does: `kill -QUIT` logs what every thread is doing
        # (at WARNING: asked for, it shows whatever the log level)
        signal.signal(signal.SIGQUIT, partial(dumpstacks, log_level=logging.WARNING))

    # ------------------------------------------------------------------
    # What to consume
    # ------------------------------------------------------------------
    def _registry(self):
        return Registry(self.db_name).check_signaling()

    def _bindings(self):
        """{connection id: (pika parameters, ((queue id, queue name), ...))} of
        the active queues."""
        with self._registry().cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            queues = env["mfg.integration.broker.queue"].search(
                [("state", "=", "active")], order="id"
            )
            bindings = {}
            for queue in queues:
                connection = queue.connection_id
                if connection.id not in bindings:
                    try:
                        bindings[connection.id] = (connection._parameters(), [])
                    except secrets_at_rest.SecretUnreadable:
                        _logger.error("%s Its queues are not consumed.", connection._unreadable())
                        bindings[connection.id] = None
                if bindings[connection.id] is not None:
                    bindings[connection.id][1].append((queue.id, queue.name))
        return {
            key: (binding[0], tuple(binding[1]))
            for key, binding in bindings.items()
            if binding is not None
        }

    # ------------------------------------------------------------------
    # The loop
    # ------------------------------------------------------------------
    def run(self):
        _logger.info("Command consumer of database %s starting", self.db_name)
        backoff = 1.0
        while not self.stopping:
            try:
                bindings = self._bindings()
            except DATABASE_DOWN as error:
                _logger.warning("Database unavailable (%s); trying again", error)
                time.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if not bindings:
                time.sleep(self.reload_seconds)
                continue
            try:
                self._consume(bindings)
                backoff = 1.0
            except BROKER_DOWN as error:
                _logger.warning(
                    "Broker unavailable (%r); connecting again in %.0f s", error, backoff
                )
                time.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
        _logger.info("Command consumer stopped: %s", json.dumps(self.counts))

    def _consume(self, bindings):
        """Consume until the queues' configuration changes or a stop is asked."""
        connections = []
        try:
            for params, queues in bindings.values():
                connection = pika.BlockingConnection(params)
                connections.append(connection)
                for queue_id, name in queues:
                    self._subscribe(connection, queue_id, name)
            checked = time.monotonic()
            slice_seconds = 1.0 / len(connections)
            while not self.stopping:
                for connection in connections:
                    connection.process_data_events(time_limit=slice_seconds)
                if time.monotonic() - checked > self.reload_seconds:
                    checked = time.monotonic()
                    if self._bindings() != bindings:
                        _logger.info("Command queues changed: consuming anew")
                        return
        finally:
            for connection in connections:
                if connection.is_open:
                    with contextlib.suppress(*BROKER_DOWN):
                        connection.close()

    def _subscribe(self, connection, queue_id, name):
        """Consume one queue on a channel of its own (prefetch is per queue): a
        queue the broker does not have closes its channel only."""
        channel = connection.channel()
        channel.basic_qos(prefetch_count=self.prefetch)
        try:
            channel.basic_consume(name, on_message_callback=partial(self._on_message, queue_id))
        except pika.exceptions.ChannelClosedByBroker as error:
            _logger.error(
                "Queue %s cannot be consumed (%s): declare it (Declare Queue) or pause it; "
                "the other queues are consumed.",
                name,
                error.reply_text,
            )
            return
        _logger.info("Consuming queue %s", name)

    # ------------------------------------------------------------------
    # One message
    # ------------------------------------------------------------------
    def _on_message(self, queue_id, channel, method, properties, body):
        if self.stopping:
            # a flowing queue keeps pika dispatching: stop taking messages, and
            # give back the ones already delivered
            channel.basic_reject(method.delivery_tag, requeue=True)
            channel.stop_consuming()
            return
        message = amqp.ReceivedMessage.from_pika(properties, body)
        outcome = self._process(queue_id, message, channel.connection)
        if outcome is None:  # stopping while the database is down: the broker keeps it
            return
        self.counts[outcome.action] = self.counts.get(outcome.action, 0) + 1
        if outcome.action in ("ack", "dead") and message.reply_to:
            self._reply(channel, message, outcome.response)
        if outcome.action == "ack":
            channel.basic_ack(method.delivery_tag)
        else:
            channel.basic_reject(method.delivery_tag, requeue=outcome.action == "requeue")

    def _process(self, queue_id, message, connection):
        """The outcome of a message once Odoo committed it; None when stopping."""
        backoff = 1.0
        while True:
            try:
                outcome = self._apply(queue_id, message)
            except DATABASE_DOWN as error:
                if self.stopping:
                    return None
                _logger.warning("Database unavailable (%s): message kept, trying again", error)
                connection.sleep(backoff)  # keeps the connection's heartbeats going
                backoff = min(backoff * 2, 30.0)
                continue
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                return _Requeue()
            except Exception:
                # a bug, not the message's fault alone: the broker's delivery limit
                # dead-letters it if it keeps failing, and the queue goes on
                _logger.exception("Message %s could not be processed", message.message_id)
                return _Requeue()
            if outcome.action != "wait":
                return outcome
            self.counts["wait"] += 1
            connection.sleep(min(outcome.retry_after, 30.0))

    def _apply(self, queue_id, message):
        registry = self._registry()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            queue = env["mfg.integration.broker.queue"].browse(queue_id)
            return run_serialized(partial(queue._consume, message), env)

    def _reply(self, channel, message, response):
        channel.basic_publish(
            "",
            message.reply_to,
            json.dumps(response.body, default=str).encode(),
            pika.BasicProperties(
                correlation_id=message.correlation_id or message.message_id,
                content_type=response.content_type,
                headers={"status": response.status},
            ),
        )


class _Requeue:
    action = "requeue"
    response = None
