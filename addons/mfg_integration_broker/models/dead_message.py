"""Messages of a command queue that failed their last attempt, kept in Odoo.

The broker has a copy in the queue's dead-letter queue; this one is what a
planner sees and retries from the exception it opened: the retry runs it
through the pipeline again, under its own message id.
"""

import base64
import json

from odoo import _, api, fields, models

from odoo.addons.mfg_integration_command.models.incident_sources import report_problem
from odoo.addons.mfg_integration_command.problems import CommandProblem

from .. import amqp


class MfgIntegrationBrokerDeadMessage(models.Model):
    _name = "mfg.integration.broker.dead.message"
    _description = "Dead Broker Message"
    _inherit = ["mfg.integration.retryable"]
    _order = "id desc"

    queue_id = fields.Many2one(
        "mfg.integration.broker.queue", required=True, ondelete="cascade", index=True
    )
    system_id = fields.Many2one(related="queue_id.system_id", store=True)
    message_id = fields.Char(index=True)
    command_type = fields.Char(help="The command the message named (ce-type).")
    correlation_id = fields.Char()
    reply_to = fields.Char()
    content_type = fields.Char()
    headers = fields.Text(help="The message's headers, as JSON.")
    body = fields.Binary(
        string="Raw Body", attachment=False, help="The message's body, as received."
    )
    body_text = fields.Text(compute="_compute_body_text", string="Body")
    attempts = fields.Integer()
    state = fields.Selection(
        [("dead", "Dead letter"), ("applied", "Applied on retry")],
        default="dead",
        required=True,
        index=True,
    )
    problem = fields.Text(help="The last problem document, as JSON.")
    error = fields.Char()
    company_id = fields.Many2one(related="queue_id.company_id", store=True)

    @api.depends("body")
    def _compute_body_text(self):
        for message in self:
            raw = base64.b64decode(message.body) if message.body else b""
            message.body_text = raw.decode(errors="replace")[:20000]

    @api.model
    def _keep(self, queue, message, response):
        """Keep a message that failed its last attempt and report it (once per
        message id, whatever the broker redelivers)."""
        self.env["mfg.integration.telemetry"]._count(
            "mfg_dead_letters_total", subscriber=queue.name
        )
        kept = self.search(
            [("queue_id", "=", queue.id), ("message_id", "=", message.message_id)], limit=1
        )
        if kept and message.message_id:
            kept.write({"attempts": message.attempt, "state": "dead"})
            return kept
        problem = CommandProblem.from_document(response.body)
        kept = self.create(
            {
                "queue_id": queue.id,
                "message_id": message.message_id,
                "command_type": message.headers.get("ce-type"),
                "correlation_id": message.correlation_id,
                "reply_to": message.reply_to,
                "content_type": message.content_type,
                "headers": json.dumps(message.headers, default=str),
                "body": base64.b64encode(message.body),
                "attempts": message.attempt,
                "problem": json.dumps(response.body, default=str),
                "error": problem.detail[:500],
            }
        )
        report_problem(
            self.env,
            problem,
            queue.system_id,
            source=kept,
            detail=_(
                "%(type)s message %(id)s on queue %(queue)s, dead-lettered after %(n)s "
                "attempt(s): %(detail)s Fix the cause, then Retry: the kept message is "
                "applied again under its own id.",
                type=kept.command_type or _("A"),
                id=message.message_id or "-",
                queue=queue.name,
                n=message.attempt,
                detail=problem.detail,
            ),
            correlation_id=message.correlation_id,
        )
        return kept

    def _received_message(self):
        self.ensure_one()
        return amqp.ReceivedMessage(
            body=base64.b64decode(self.body) if self.body else b"",
            headers=json.loads(self.headers or "{}"),
            content_type=self.content_type,
            message_id=self.message_id,
            correlation_id=self.correlation_id,
            reply_to=self.reply_to,
            delivery_count=self.attempts,
        )

    def _integration_retry(self):
        """Apply the message again, through the same pipeline, under its own id."""
        self.ensure_one()
        if self.state == "applied":
            return True
        response = self.queue_id._apply_message(self._received_message())
        if response.succeeded:
            self.write({"state": "applied", "error": False})
            return True
        self.write(
            {
                "problem": json.dumps(response.body, default=str),
                "error": CommandProblem.from_document(response.body).detail[:500],
            }
        )
        return False

    def _integration_succeeded(self):
        return self.state == "applied"

    def action_retry(self):
        for message in self:
            if not message._integration_retry():
                return {
                    "type": "ir.actions.client",
                    "tag": "display_notification",
                    "params": {
                        "type": "warning",
                        "message": _("Still refused: %s", message.error),
                    },
                }
        return True
