from odoo import api, fields, models


class MfgIntegrationMqttBroker(models.Model):
    """An MQTT broker that the consumer process (``odoo-bin mfg_mqtt_consumer``)
    connects to, with a persistent session of its own."""

    _name = "mfg.integration.mqtt.broker"
    _description = "MQTT Broker"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    host = fields.Char(required=True, default="127.0.0.1", tracking=True)
    port = fields.Integer(required=True, default=1883, tracking=True)
    client_identifier = fields.Char(
        required=True,
        tracking=True,
        help="The MQTT client id of Odoo's consumer: the broker keeps its session (its "
        "subscriptions and the messages it has not acknowledged) under this name while "
        "the consumer is away. Unique per broker.",
    )
    session_expiry = fields.Integer(
        string="Session Expiry (s)",
        default=7 * 24 * 3600,
        help="How long the broker keeps the session and queues messages for a consumer "
        "that is away.",
    )
    keepalive = fields.Integer(string="Keep-Alive (s)", default=30)
    subscription_ids = fields.One2many("mfg.integration.mqtt.subscription", "broker_id")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    _sql_constraints = [
        (
            "client_identifier_uniq",
            "unique(host, port, client_identifier)",
            "Two consumers may not share a session on the same broker.",
        ),
    ]

    @api.model
    def _consumer_config(self):
        """What the consumer process needs, as plain data: {broker id: {...,
        "subscriptions": [{id, topic, summed, window}]}} of the active ones."""
        config = {}
        subscriptions = self.env["mfg.integration.mqtt.subscription"].search(
            [("state", "=", "active"), ("broker_id.active", "=", True)], order="id"
        )
        for subscription in subscriptions:
            broker = subscription.broker_id
            entry = config.setdefault(
                broker.id,
                {
                    "host": broker.host,
                    "port": broker.port,
                    "client_identifier": broker.client_identifier,
                    "session_expiry": broker.session_expiry,
                    "keepalive": broker.keepalive,
                    "subscriptions": [],
                },
            )
            entry["subscriptions"].append(
                {
                    "id": subscription.id,
                    "topic": subscription.topic,
                    "summed": bool(subscription._command().summed),
                    "window": subscription.window_seconds,
                }
            )
        return config
