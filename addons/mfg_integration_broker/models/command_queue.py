"""Command queues: commands that a connected system sends as AMQP messages.

A queue is bound to an API client: the client's scopes, companies and rate
limit apply exactly as over REST. A message names its command in ``ce-type``
(``production_order.confirm``, or ``production_order.confirm.v2``), carries
the command's JSON body, and names the record the command acts on (its
subject) in ``ce-subject``. It runs through the same command pipeline; its message id
is its idempotency key, so a redelivered message is applied once.

What the consumer process does with a message is decided here
(``_consume``): acknowledge it, wait (rate limit), put it back for another
attempt, or dead-letter it, kept in Odoo with an exception that a planner
retries once the cause is fixed.
"""

import json
import re
from dataclasses import dataclass

from odoo import _, api, fields, models

from odoo.addons.mfg_integration_command.commands import ClientIdentity, Invocation
from odoo.addons.mfg_integration_command.problems import CommandProblem, Outcome

from .. import amqp

TYPE_VERSION = re.compile(r"^(?P<name>.+?)(?:\.v(?P<version>\d+))?$")


@dataclass
class ConsumeOutcome:
    """What the consumer does with a message once Odoo committed.

    ``action``: "ack" (applied, or answered), "wait" (rate-limited: apply it
    again after ``retry_after`` seconds), "requeue" (failed, attempts left),
    "dead" (failed for the last time: reject it to the dead-letter queue).
    """

    action: str
    response: Outcome
    retry_after: float = 0.0


class MfgIntegrationBrokerQueue(models.Model):
    _name = "mfg.integration.broker.queue"
    _description = "Broker Command Queue"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(string="Queue", required=True, tracking=True)
    connection_id = fields.Many2one(
        "mfg.integration.broker.connection", required=True, ondelete="restrict", tracking=True
    )
    client_id = fields.Many2one(
        "mfg.integration.client",
        string="API Client",
        required=True,
        ondelete="restrict",
        tracking=True,
        help="Whose commands the queue carries: its scopes, companies and rate limit apply.",
    )
    system_id = fields.Many2one(related="client_id.system_id")
    state = fields.Selection(
        [("active", "Consumed"), ("paused", "Paused")],
        default="active",
        required=True,
        tracking=True,
        help="Consumers read only the active queues (they look again every few seconds).",
    )
    max_attempts = fields.Integer(
        default=3,
        required=True,
        help="Attempts of a failing message before it goes to the dead-letter queue.",
    )
    delivery_limit = fields.Integer(
        default=10,
        help="The broker dead-letters a message delivered this many times without an "
        "answer (a consumer that keeps crashing on it); above Max Attempts.",
    )
    dead_letter_exchange = fields.Char(default="mfg.commands.dead-letter", required=True)
    dead_message_ids = fields.One2many("mfg.integration.broker.dead.message", "queue_id")
    dead_message_count = fields.Integer(compute="_compute_dead_message_count")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    _sql_constraints = [
        ("name_connection_uniq", "unique(name, connection_id)", "A queue is declared once."),
    ]

    def _compute_dead_message_count(self):
        groups = dict(
            self.env["mfg.integration.broker.dead.message"]._read_group(
                [("queue_id", "in", self.ids), ("state", "=", "dead")], ["queue_id"], ["__count"]
            )
        )
        for queue in self:
            queue.dead_message_count = groups.get(queue, 0)

    def action_declare(self):
        """Declare the queue (quorum, dead-letter queue, delivery limit) over AMQP."""
        for queue in self:
            with queue.connection_id._declaring_channel(_("queue %s", queue.name)) as channel:
                amqp.declare_queue(
                    channel, queue.name, queue.dead_letter_exchange, queue.delivery_limit
                )
            queue.message_post(body=_("Queue declared on the broker."))
        return True

    def action_view_dead_messages(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Dead Messages"),
            "res_model": "mfg.integration.broker.dead.message",
            "view_mode": "list,form",
            "domain": [("queue_id", "=", self.id)],
        }

    # ------------------------------------------------------------------
    # Message -> invocation -> outcome
    # ------------------------------------------------------------------
    def _consume(self, message):
        """Run one message through the command pipeline (in the caller's
        transaction, which the consumer commits before it acknowledges)."""
        self.ensure_one()
        response = self._apply_message(message)
        if response.succeeded:
            return ConsumeOutcome("ack", response)
        if response.kind == "rate-limited":
            retry_after = float(response.body.get("retry_after") or 1)
            return ConsumeOutcome("wait", response, retry_after=retry_after)
        # a retired command stays gone: no attempt left to try
        if message.attempt < self.max_attempts and response.kind != "gone":
            return ConsumeOutcome("requeue", response)
        self.env["mfg.integration.broker.dead.message"]._keep(self, message, response)
        return ConsumeOutcome("dead", response)

    def _apply_message(self, message):
        invocation, problem = self._invocation(message)
        Command = self.env["mfg.integration.command"]
        if problem is None:
            try:
                invocation.command = Command._command(*self._command_of(message, invocation))
                invocation.params = self._params(invocation.command, invocation.headers)
                invocation.payload = self._payload(message, invocation)
            except CommandProblem as refused:
                problem = refused
        return Command._execute(invocation, problem=problem)

    def _invocation(self, message):
        """The transport-free invocation of a message, and the problem that
        refuses it before it is even read (too large)."""
        headers = dict(message.headers)
        identity = ClientIdentity(client_id=self.client_id.id, company_id=self.company_id.id)
        invocation = Invocation(
            command=None,
            identity=identity,
            raw=message.body,
            headers={
                **{key: str(value) for key, value in headers.items()},
                "content-type": message.content_type or "",
                "message-id": message.message_id or "",
                "reply-to": message.reply_to or "",
            },
            idempotency_key=message.message_id or headers.get("ce-id"),
            correlation_id=message.correlation_id or headers.get("ce-correlationid"),
            traceparent=headers.get("traceparent"),
            channel=f"AMQP {self.name}",
            method="AMQP",
            instance=f"amqp:{self.name}/{message.message_id or ''}",
            keep_refusals=False,
            span_kind="consumer",
            span_name=f"process {self.name}",
            span_attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation.type": "process",
                "messaging.operation.name": "process",
                "messaging.destination.name": self.name,
                "messaging.message.id": message.message_id or None,
                "messaging.message.conversation_id": message.correlation_id or None,
                "messaging.message.body.size": len(message.body or b""),
            },
            transport="amqp",
        )
        limit = self.env["mfg.integration.settings"]._get("api_max_payload_bytes", 5 * 1024 * 1024)
        if len(message.body) > limit:
            return invocation, CommandProblem(
                "payload-too-large",
                f"The message has {len(message.body)} bytes; the limit is {limit}.",
                limit=limit,
            )
        return invocation, None

    def _command_of(self, message, invocation):
        """(name, version) of the command a message names in its type."""
        command_type = message.headers.get("ce-type")
        if _structured(message):
            envelope = self._parse_json(message.body)
            if not isinstance(envelope, dict):
                raise CommandProblem(
                    "validation-error", "A structured CloudEvent is a JSON object."
                )
            invocation.headers.update(
                {f"ce-{key}": str(value) for key, value in envelope.items() if key != "data"}
            )
            command_type = envelope.get("type")
            invocation.idempotency_key = invocation.idempotency_key or envelope.get("id")
        if not command_type:
            raise CommandProblem(
                "validation-error",
                "The message names no command: set the ce-type header (binary mode) or the "
                "type attribute (structured mode), e.g. production_order.confirm.",
            )
        found = TYPE_VERSION.match(str(command_type))
        return found.group("name"), int(found.group("version") or 1)

    def _params(self, command, headers):
        """The record the command acts on (its subject), from ce-subject."""
        if not command.subject:
            return {}
        subject = headers.get("ce-subject")
        if not subject:
            raise CommandProblem(
                "validation-error",
                f"{command.label} needs the id of the record it acts on in ce-subject.",
                errors=[{"pointer": "#ce-subject", "detail": "required"}],
            )
        return {command.subject: subject}

    def _payload(self, message, invocation):
        if invocation.command.request_schema is None and not message.body:
            return None
        if _structured(message):
            return self._parse_json(message.body).get("data")
        content_type = (message.content_type or "").split(";")[0].strip().lower()
        if (
            content_type
            and content_type != "application/json"
            and not content_type.endswith("+json")
        ):
            raise CommandProblem(
                "unsupported-media-type",
                f"Send the body as application/json, not '{content_type}'.",
            )
        return self._parse_json(message.body)

    @api.model
    def _parse_json(self, body):
        try:
            return json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError) as error:
            raise CommandProblem(
                "malformed-json", f"The body is not valid JSON: {error}."
            ) from error


def _structured(message):
    return (message.content_type or "").startswith(amqp.STRUCTURED_CONTENT_TYPE)
