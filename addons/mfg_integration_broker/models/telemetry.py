import logging
import threading
import time

import pika

from odoo import api, models

from odoo.addons.mfg_integration_core import secrets_at_rest
from odoo.addons.mfg_integration_core.models.telemetry import Gauge

from .. import amqp

_logger = logging.getLogger(__name__)

# a scrape every few seconds must not open a broker connection each time
QUEUE_DEPTH_CACHE_SECONDS = 10.0
_depths = {}  # (database, connection id): (read at, {queue name: messages} or None)
_depths_lock = threading.Lock()


class MfgIntegrationTelemetry(models.AbstractModel):
    _inherit = "mfg.integration.telemetry"

    @api.model
    def _gauge_definitions(self):
        gauges = super()._gauge_definitions()
        gauges["mfg_command_queue_messages"] = Gauge(
            "Messages waiting in a broker command queue (read with a passive declare, "
            f"at most every {QUEUE_DEPTH_CACHE_SECONDS:g} s; absent while the broker is "
            "unreachable).",
            ("queue",),
            self._collect_command_queue_messages,
        )
        return gauges

    def _collect_command_queue_messages(self):
        queues = self.env["mfg.integration.broker.queue"].sudo().search([])
        samples = []
        for connection in queues.connection_id:
            depths = self._command_queue_depths(connection, queues)
            samples += [((name,), count) for name, count in (depths or {}).items()]
        return samples

    def _command_queue_depths(self, connection, queues):
        """{queue name: messages waiting} of a connection's queues, or None
        when its broker cannot be reached; kept a few seconds per process."""
        key = (self.env.cr.dbname, connection.id)
        now = time.monotonic()
        with _depths_lock:
            found = _depths.get(key)
        if found and now - found[0] < QUEUE_DEPTH_CACHE_SECONDS:
            return found[1]
        names = queues.filtered(lambda queue: queue.connection_id == connection).mapped("name")
        depths = None
        try:
            broker = amqp.blocking_connection(connection._parameters(heartbeat=0))
        except (amqp.BrokerUnavailable, secrets_at_rest.SecretUnreadable) as error:
            _logger.info("Command queue depths of %s not read: %s", connection.name, error)
        else:
            depths = {}
            try:
                for name in names:
                    # one channel per queue: a missing queue closes its channel
                    channel = broker.channel()
                    try:
                        declared = channel.queue_declare(queue=name, passive=True)
                        depths[name] = declared.method.message_count
                    except pika.exceptions.ChannelClosedByBroker:
                        continue  # not declared yet: nothing waits in it
                    if channel.is_open:
                        channel.close()
            except pika.exceptions.AMQPError as error:
                _logger.info("Command queue depths of %s not read: %r", connection.name, error)
                depths = None
            finally:
                if broker.is_open:
                    broker.close()
        with _depths_lock:
            _depths[key] = (now, depths)
        return depths
