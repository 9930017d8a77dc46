import contextlib
from urllib.parse import urlsplit

import pika

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.mfg_integration_core import secrets_at_rest

from .. import amqp


class MfgIntegrationBrokerConnection(models.Model):
    """A RabbitMQ broker (or cluster) that sinks publish to and queues are read from."""

    _name = "mfg.integration.broker.connection"
    _description = "Broker Connection"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    url = fields.Char(
        string="AMQP URL",
        required=True,
        default="amqp://127.0.0.1:5672/%2F",
        tracking=True,
        help="amqp://host:port/vhost or amqps:// for TLS, without user or password "
        "(the virtual host '/' is written %2F).",
    )
    username = fields.Char(default="guest", tracking=True)
    password = fields.Char(
        compute="_compute_password",
        inverse="_inverse_password",
        groups="mfg_integration_core.group_integration_manager",
        help="Stored encrypted with the server's secret key; never shown again.",
    )
    encrypted_password = fields.Char(groups="base.group_system", copy=False)
    password_set = fields.Boolean(compute="_compute_password_set")
    timeout = fields.Float(
        string="Timeout (s)",
        default=10.0,
        help="How long to wait for the broker: connecting, and confirms of a batch.",
    )
    sink_ids = fields.One2many("mfg.integration.broker.sink", "connection_id")
    queue_ids = fields.One2many("mfg.integration.broker.queue", "connection_id")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    @api.constrains("url")
    def _check_url(self):
        for connection in self:
            parts = urlsplit(connection.url or "")
            if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
                raise ValidationError(
                    _("'%s' is not an AMQP URL (amqp://host:port/vhost).", connection.url)
                )
            if parts.username or parts.password:
                raise ValidationError(
                    _(
                        "Put the user and the password in their own fields, not in the URL: "
                        "the password is stored encrypted, the URL is not."
                    )
                )

    def _compute_password(self):
        for connection in self:
            connection.password = False  # write-only

    def _inverse_password(self):
        for connection in self:
            if connection.password:
                connection.sudo().encrypted_password = secrets_at_rest.encrypt(connection.password)

    @api.depends("encrypted_password")
    def _compute_password_set(self):
        for connection in self:
            connection.password_set = bool(connection.sudo().encrypted_password)

    def _parameters(self, heartbeat=60):
        """pika connection parameters; raises SecretUnreadable when the password
        was stored under another server key."""
        self.ensure_one()
        stored = self.sudo().encrypted_password
        password = secrets_at_rest.decrypt(stored) if stored else ""
        return amqp.connection_parameters(
            self.url, self.username, password, timeout=self.timeout, heartbeat=heartbeat
        )

    def _unreadable(self):
        """Why the password cannot be used, or False."""
        stored = self.sudo().encrypted_password
        if stored and not secrets_at_rest.readable(stored):
            return _(
                "The password of broker connection %s cannot be decrypted: the server's "
                "secret key (mfg_integration_secret_key) has changed. Enter the password again.",
                self.name,
            )
        return False

    @contextlib.contextmanager
    def _declaring_channel(self, what):
        """A channel to declare `what` on; the broker's refusal, or no broker,
        becomes a UserError that names it."""
        self.ensure_one()
        try:
            connection = amqp.blocking_connection(self._parameters())
        except (amqp.BrokerUnavailable, secrets_at_rest.SecretUnreadable) as error:
            raise UserError(str(error)) from error
        try:
            yield connection.channel()
        except pika.exceptions.AMQPError as error:
            raise UserError(
                _("The broker refused %(what)s: %(error)r", what=what, error=error)
            ) from error
        finally:
            if connection.is_open:
                connection.close()

    def action_test_connection(self):
        self.ensure_one()
        try:
            connection = amqp.blocking_connection(self._parameters())
        except (amqp.BrokerUnavailable, secrets_at_rest.SecretUnreadable) as error:
            raise UserError(str(error)) from error
        connection.close()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "success", "message": _("Connected to %s.", self.url)},
        }
