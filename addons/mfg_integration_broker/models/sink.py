"""The outbox's broker sink: events published to a RabbitMQ exchange.

Everything but the sending is the outbox's (claiming, batches, back-off, dead
letters, circuit breaker, FIFO per subject, replay, watchdog). A batch is
published over one connection and its confirms collected together; a delivery
is delivered only once the broker confirmed it.
"""

import contextlib
import string
import time

import pika

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.mfg_integration_core.models.outbox_delivery import SendOutcome

from .. import amqp

ROUTING_KEY_FIELDS = {"type", "subject", "system"}


class MfgIntegrationBrokerSink(models.Model):
    _name = "mfg.integration.broker.sink"
    _description = "Broker Sink"
    _inherit = ["mfg.integration.outbox.sink"]
    _order = "name"
    _delivery_model = "mfg.integration.broker.delivery"
    _drain_channel = "root.mfg_integration_broker.sink"

    connection_id = fields.Many2one(
        "mfg.integration.broker.connection", required=True, ondelete="restrict", tracking=True
    )
    exchange = fields.Char(required=True, default="mfg.events", tracking=True)
    exchange_type = fields.Selection(
        [(name, name) for name in amqp.EXCHANGE_TYPES], default="topic", required=True
    )
    routing_key_template = fields.Char(
        required=True,
        default="{type}",
        tracking=True,
        help="The routing key of each message: {type} (mrp.production.released.v1), "
        "{subject} (the record the event is about), {system} (the sink's system code).",
    )
    content_mode = fields.Selection(
        [
            ("binary", "Binary (ce- headers, data as the body)"),
            ("structured", "Structured (application/cloudevents+json)"),
        ],
        default="binary",
        required=True,
        help="How the CloudEvents RabbitMQ binding carries each event.",
    )
    binding_ids = fields.One2many(
        "mfg.integration.broker.binding",
        "sink_id",
        string="Subscriber Queues",
        help="Queues that Declare Topology creates and binds to the exchange.",
    )
    delivery_ids = fields.One2many("mfg.integration.broker.delivery", "sink_id")

    @api.constrains("routing_key_template")
    def _check_routing_key_template(self):
        for sink in self:
            try:
                names = {
                    name
                    for _text, name, _spec, _conv in string.Formatter().parse(
                        sink.routing_key_template
                    )
                    if name is not None
                }
            except ValueError as error:
                raise ValidationError(
                    _("The routing key template is not valid: %s", error)
                ) from error
            unknown = names - ROUTING_KEY_FIELDS
            if unknown:
                raise ValidationError(
                    _(
                        "The routing key template may use {type}, {subject} and {system}, "
                        "not %s.",
                        ", ".join(sorted(unknown)),
                    )
                )

    # ------------------------------------------------------------------
    # Topology
    # ------------------------------------------------------------------
    def _dead_letter_exchange(self):
        return f"{self.exchange}.dead-letter"

    def action_declare_topology(self):
        """Declare the exchange and the subscriber queues (quorum, with a
        dead-letter queue and a delivery limit) over AMQP."""
        for sink in self:
            topology = _("the topology of %s", sink.name)
            with sink.connection_id._declaring_channel(topology) as channel:
                channel.exchange_declare(sink.exchange, sink.exchange_type, durable=True)
                for binding in sink.binding_ids:
                    amqp.declare_queue(
                        channel,
                        binding.queue,
                        sink._dead_letter_exchange(),
                        binding.delivery_limit,
                        binding.single_active_consumer,
                    )
                    channel.queue_bind(
                        binding.queue, sink.exchange, routing_key=binding.binding_key or ""
                    )
            sink.message_post(
                body=_(
                    "Topology declared: exchange %(exchange)s (%(type)s), queues %(queues)s.",
                    exchange=sink.exchange,
                    type=sink.exchange_type,
                    queues=", ".join(sink.binding_ids.mapped("queue")) or "-",
                )
            )
        return True

    # ------------------------------------------------------------------
    # Sending (the rest of the drain is the outbox's)
    # ------------------------------------------------------------------
    def _address(self):
        return f"exchange {self.exchange} on {self.connection_id.url}"

    def _drain_blocked(self):
        return self.connection_id._unreadable()

    @contextlib.contextmanager
    def _sink_transport(self):
        """One connection for the whole drain, opened on the first batch."""
        with amqp.ConfirmedPublisher(
            self.connection_id._parameters(), timeout=self.connection_id.timeout
        ) as publisher:
            yield publisher

    def _routing_key(self, event):
        return self.routing_key_template.format(
            type=event.type, subject=event.subject or "", system=self.system_id.code or ""
        )

    def _message(self, event, traceparent=None):
        """The message of an event; ``traceparent``: its publish span's."""
        envelope = event._envelope(self.system_id)
        headers, content_type, body = amqp.cloudevent_message(
            envelope, structured=self.content_mode == "structured"
        )
        traceparent = traceparent or event.traceparent
        if traceparent:
            headers["traceparent"] = traceparent
        properties = pika.BasicProperties(
            message_id=event.event_uid,
            correlation_id=event.correlation_id or None,
            timestamp=int(event.time.timestamp()) if event.time else int(time.time()),
            content_type=content_type,
            type=event.type,
            app_id="odoo-mfg-integration",
            delivery_mode=pika.DeliveryMode.Persistent,
            headers=headers,
        )
        return amqp.OutgoingMessage(self.exchange, self._routing_key(event), body, properties)

    def _publish_span(self, event):
        return self.env["mfg.integration.telemetry"]._span(
            f"publish {self.exchange}",
            kind="producer",
            traceparent=event.traceparent,
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation.type": "send",
                "messaging.operation.name": "publish",
                "messaging.destination.name": self.exchange,
                "messaging.rabbitmq.destination.routing_key": self._routing_key(event),
                "messaging.message.id": event.event_uid,
                "messaging.message.conversation_id": event.correlation_id or None,
                "mfg.event.type": event.type,
            },
            current=False,
        )

    def _send_batch(self, deliveries, transport):
        """Publish the whole batch, then read the broker's confirms."""
        with contextlib.ExitStack() as spans:
            # one producer span per message, side by side, until its confirm
            traced = [
                (delivery, spans.enter_context(self._publish_span(delivery.event_id)))
                for delivery in deliveries
            ]
            messages = [self._message(d.event_id, span.traceparent) for d, span in traced]
            results = transport.publish_batch(messages)
            for (_delivery, span), result in zip(traced, results, strict=True):
                if not result.ok:
                    span.set_error(result.error or "not confirmed")
        route = self._address()
        return [
            SendOutcome(
                delivered=result.ok,
                error=result.error,
                status=0,
                latency_ms=result.latency_ms,
                log={
                    "route": f"{route} key {message.routing_key}",
                    "method": "PUBLISH",
                    "request_headers": dict(message.properties.headers or {}),
                    "request_payload": message.body,
                },
            )
            for message, result in zip(messages, results, strict=True)
        ]


class MfgIntegrationBrokerBinding(models.Model):
    """A subscriber's queue on a sink's exchange, declared by Declare Topology."""

    _name = "mfg.integration.broker.binding"
    _description = "Broker Subscriber Queue"
    _order = "queue"

    sink_id = fields.Many2one("mfg.integration.broker.sink", required=True, ondelete="cascade")
    queue = fields.Char(required=True)
    binding_key = fields.Char(
        default="#", help="Routing keys this queue receives (topic patterns: mrp.#)."
    )
    delivery_limit = fields.Integer(
        default=5,
        help="Deliveries the subscriber may leave unacknowledged before the message goes "
        "to the dead-letter queue (<queue>.dead).",
    )
    single_active_consumer = fields.Boolean(
        default=True,
        help="One consumer at a time reads the queue: the order of each subject holds "
        "for the subscriber too.",
    )
    company_id = fields.Many2one(related="sink_id.company_id", store=True)
