"""MQTT messages that the pipeline refused, kept with their reason.

The broker has forgotten them (they are acknowledged: a refused message is
never delivered again, so a bad payload cannot loop); this copy is what a
planner sees from the exception it opened, once per cause and subject, and
retries once the cause is fixed (a machine id mapped, a code added).
"""

import json

from odoo import _, api, fields, models

from odoo.addons.mfg_integration_command.problems import CommandProblem


class MfgIntegrationMqttRefusedMessage(models.Model):
    _name = "mfg.integration.mqtt.refused.message"
    _description = "Refused MQTT Message"
    _inherit = ["mfg.integration.retryable"]
    _order = "id desc"

    subscription_id = fields.Many2one(
        "mfg.integration.mqtt.subscription", required=True, ondelete="cascade", index=True
    )
    system_id = fields.Many2one(related="subscription_id.system_id", store=True)
    topic = fields.Char(required=True, index=True)
    subject = fields.Char(index=True)
    payload = fields.Text(help="The message as received (UTF-8; undecodable bytes replaced).")
    problem_type = fields.Char(index=True)
    reason = fields.Char()
    problem = fields.Text(help="The problem document, as JSON.")
    state = fields.Selection(
        [("refused", "Refused"), ("applied", "Applied on retry")],
        default="refused",
        required=True,
        index=True,
    )
    company_id = fields.Many2one(related="subscription_id.company_id", store=True)

    @api.model
    def _keep(self, subscription, topic, subject, raw, problem_body):
        """Keep a refused message and report it: one incident per cause and subject."""
        problem = CommandProblem.from_document(problem_body)
        kept = self.sudo().create(
            {
                "subscription_id": subscription.id,
                "topic": topic,
                "subject": subject,
                "payload": (raw or b"").decode(errors="replace")[:20000],
                "problem_type": problem.slug,
                "reason": problem.detail[:500],
                "problem": json.dumps(problem_body, default=str),
            }
        )
        self.env["mfg.integration.incident"]._report(
            "mqtt_refused",
            _(
                "MQTT %(topic)s refused: %(detail)s",
                topic=subscription.topic,
                detail=problem.detail,
            ),
            key=f"{subscription.id}|{problem.slug}|{subject or ''}",
            system=subscription.system_id or None,
            source=kept,
            detail=_(
                "Message on %(topic)s (%(category)s). Fix the cause, then Retry: the kept "
                "message runs through the command pipeline again.",
                topic=topic,
                category=problem.title,
            ),
            correlation_id=(problem_body or {}).get("correlation_id"),
        )
        return kept

    def _integration_retry(self):
        """Run the kept message through the pipeline again (without its
        sequence check: it was never applied)."""
        self.ensure_one()
        if self.state == "applied":
            return True
        subscription = self.subscription_id
        raw = (self.payload or "").encode()
        payload, _sequence, problem = subscription._read_kept(raw)
        command = subscription._command()
        response = subscription._run(command, self.topic, self.subject, payload, raw, problem)
        if response.succeeded:
            self.state = "applied"
            return True
        problem = CommandProblem.from_document(response.body)
        self.write(
            {
                "problem_type": problem.slug,
                "reason": problem.detail[:500],
                "problem": json.dumps(response.body, default=str),
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
                        "message": _("Still refused: %s", message.reason),
                    },
                }
        return True
