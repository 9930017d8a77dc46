"""MQTT subscriptions: a topic pattern of a connected system's broker whose
messages are one command each.

A subscription is bound to an API client (its scopes, companies and rate
limit apply as over REST); a segment of the topic names the command's
subject, the sender's own id that its cross-references translate. Each
message carries a sequence number per subject (``seq`` by default): a
message the broker delivers again after a consumer crash has a number
already applied and is recognised, never applied twice.

A command that declares summed fields (``Command.summed``, machine counters)
is applied once per subject and window: the consumer hands over the window's
messages together, and they run through the pipeline as one invocation.
"""

import json
from collections import Counter

from paho.mqtt.client import topic_matches_sub

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.mfg_integration_command.commands import ClientIdentity, Invocation
from odoo.addons.mfg_integration_command.problems import CommandProblem
from odoo.addons.mfg_integration_core.json_schema import schema_errors


class MqttWait(Exception):
    """The client is rate-limited: hold the messages and try again later."""

    def __init__(self, retry_after):
        super().__init__(retry_after)
        self.retry_after = retry_after


class MfgIntegrationMqttSubscription(models.Model):
    _name = "mfg.integration.mqtt.subscription"
    _description = "MQTT Subscription"
    _inherit = ["mail.thread"]
    _order = "broker_id, topic"

    name = fields.Char(required=True, tracking=True)
    broker_id = fields.Many2one(
        "mfg.integration.mqtt.broker", required=True, ondelete="restrict", tracking=True
    )
    topic = fields.Char(
        string="Topic Filter",
        required=True,
        tracking=True,
        help="An MQTT topic filter, e.g. plant1/+/+/state (+ one level, # the rest).",
    )
    client_id = fields.Many2one(
        "mfg.integration.client",
        string="API Client",
        required=True,
        ondelete="restrict",
        tracking=True,
        help="Whose commands the topic carries: its scopes, companies and rate limit apply, "
        "its connected system's cross-references translate the subject.",
    )
    system_id = fields.Many2one(related="client_id.system_id", store=True)
    command_name = fields.Char(
        string="Command", required=True, tracking=True, help="e.g. equipment.state"
    )
    command_version = fields.Integer(default=1, required=True)
    subject_segment = fields.Integer(
        string="Subject Segment",
        default=0,
        tracking=True,
        help="Which level of the topic (1 for the first) is the sender's id of the record "
        "the command acts on; 0 when the command acts on none.",
    )
    sequence_field = fields.Char(
        default="seq",
        help="The payload field holding the sender's sequence number per subject (an "
        "integer that grows): messages delivered again are recognised by it. Leave "
        "empty to apply every message as it comes.",
    )
    window_seconds = fields.Float(
        string="Window (s)",
        default=10.0,
        help="For a command with summed fields (machine counters): the messages of one "
        "subject in this window are summed and applied in one transaction.",
    )
    state = fields.Selection(
        [("active", "Consumed"), ("paused", "Paused")],
        default="active",
        required=True,
        tracking=True,
    )
    applied_count = fields.Integer(readonly=True, copy=False)
    duplicate_count = fields.Integer(readonly=True, copy=False)
    refused_count = fields.Integer(readonly=True, copy=False)
    cursor_ids = fields.One2many("mfg.integration.mqtt.cursor", "subscription_id")
    refused_message_ids = fields.One2many("mfg.integration.mqtt.refused.message", "subscription_id")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    @api.constrains("command_name", "command_version", "topic", "subject_segment")
    def _check_command(self):
        for subscription in self:
            try:
                command = subscription._command()
            except CommandProblem as error:
                raise ValidationError(error.detail) from error
            levels = subscription.topic.split("/")
            if command.subject and not subscription.subject_segment:
                raise ValidationError(
                    _("%s acts on a record: say which topic level names it.", command.label)
                )
            if subscription.subject_segment and (
                subscription.subject_segment > len(levels)
                or levels[subscription.subject_segment - 1] in ("#",)
            ):
                raise ValidationError(
                    _(
                        "The topic %s has no level %s.",
                        subscription.topic,
                        subscription.subject_segment,
                    )
                )

    def _command(self):
        return self.env["mfg.integration.command"]._command(self.command_name, self.command_version)

    def _subject_of(self, topic):
        if not self.subject_segment:
            return None
        levels = topic.split("/")
        return levels[self.subject_segment - 1] if len(levels) >= self.subject_segment else None

    # ------------------------------------------------------------------
    # Messages -> invocations
    # ------------------------------------------------------------------
    def _receive(self, topic, raws):
        """Apply the messages of one topic (one subject), in the caller's
        transaction, which the consumer commits before it acknowledges them.

        :param raws: the payloads as received, in order: one message, or a
            window of a summed command's messages
        :return: Counter of applied, duplicate and refused messages
        """
        self.ensure_one()
        if not topic_matches_sub(self.topic, topic):
            raise ValueError(f"{topic} does not match {self.topic}")
        command = self._command()
        subject = self._subject_of(topic)
        cursor = self._cursor(subject)
        last = cursor.last_sequence if cursor else 0
        counts = Counter()
        ready = []  # (payload, raw, messages) of new, readable messages, in order
        for raw in raws:
            payload, sequence, problem = self._read(raw)
            if sequence is not None:
                if sequence <= last:
                    counts["duplicate"] += 1
                    continue
                last = sequence
            if problem is None and command.summed and command.request_schema:
                errors = schema_errors(command.request_schema, payload)
                if errors:
                    # refused alone: its problem names the failing fields
                    problem = CommandProblem(
                        "validation-error",
                        f"The body does not match the schema of {command.label}: "
                        f"{len(errors)} error(s).",
                        errors=errors,
                    )
            if problem is not None:
                response = self._run(command, topic, subject, payload, raw, problem)
                self._refuse(topic, subject, raw, response.body)
                counts["refused"] += 1
                continue
            ready.append((payload, raw, 1))
        if ready and command.summed:
            ready = [self._summed(command, ready)]
        for payload, raw, messages in ready:
            response = self._run(command, topic, subject, payload, raw)
            if response.kind == "rate-limited":
                raise MqttWait(float(response.body.get("retry_after") or 1))
            if response.succeeded:
                counts["applied"] += messages
            else:
                self._refuse(topic, subject, raw, response.body)
                counts["refused"] += 1
        if self.sequence_field and last and (not cursor or last != cursor.last_sequence):
            self._advance(subject, last)
        self._add_counts(counts)
        return counts

    def _read(self, raw):
        """(payload, sequence number, problem) of a raw message."""
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            return (
                None,
                None,
                CommandProblem("malformed-json", f"The payload is not valid JSON: {error}."),
            )
        if not isinstance(payload, dict):
            return (
                None,
                None,
                CommandProblem(
                    "validation-error",
                    "The payload is not a JSON object.",
                    errors=[{"pointer": "", "detail": "expected an object"}],
                ),
            )
        if not self.sequence_field:
            return payload, None, None
        sequence = payload.pop(self.sequence_field, None)
        if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
            pointer = f"/{self.sequence_field}"
            return (
                payload,
                None,
                CommandProblem(
                    "validation-error",
                    f"The message has no sequence number: {pointer} must be a positive integer "
                    "that grows with each message of its subject.",
                    errors=[{"pointer": pointer, "detail": "a positive integer is required"}],
                ),
            )
        return payload, sequence, None

    def _summed(self, command, ready):
        """One payload for a window: the summed fields added up, the others
        as the last message has them."""
        payload = dict(ready[-1][0])
        for name in command.summed:
            payload[name] = sum(item[name] for item, _raw, _n in ready)
        return payload, json.dumps(payload).encode(), len(ready)

    def _run(self, command, topic, subject, payload, raw, problem=None):
        invocation = Invocation(
            command=command,
            identity=ClientIdentity(client_id=self.client_id.id, company_id=self.company_id.id),
            payload=payload,
            params={command.subject: subject} if command.subject else {},
            raw=raw,
            headers={"mqtt-topic": topic},
            channel=f"MQTT {self.topic}",
            method="MQTT",
            instance=f"mqtt:{topic}",
            keep_refusals=False,
            span_kind="consumer",
            span_name=f"process {self.topic}",
            span_attributes={
                "messaging.system": "mqtt",
                "messaging.operation.type": "process",
                "messaging.destination.name": topic,
                "messaging.message.body.size": len(raw or b""),
            },
            transport="mqtt",
        )
        return self.env["mfg.integration.command"]._execute(invocation, problem=problem)

    def _refuse(self, topic, subject, raw, problem_body):
        return self.env["mfg.integration.mqtt.refused.message"]._keep(
            self, topic, subject, raw, problem_body
        )

    def _cursor(self, subject):
        if not self.sequence_field:
            return None
        return (
            self.env["mfg.integration.mqtt.cursor"]
            .sudo()
            .search([("subscription_id", "=", self.id), ("subject", "=", subject or "")], limit=1)
        )

    def _advance(self, subject, sequence):
        self.env.cr.execute(
            SQL(
                """INSERT INTO mfg_integration_mqtt_cursor
                       (subscription_id, subject, last_sequence, company_id,
                        create_uid, write_uid, create_date, write_date)
                   VALUES (%s, %s, %s, %s, %s, %s, now() at time zone 'UTC',
                           now() at time zone 'UTC')
                   ON CONFLICT (subscription_id, subject) DO UPDATE
                   SET last_sequence = GREATEST(mfg_integration_mqtt_cursor.last_sequence,
                                                EXCLUDED.last_sequence),
                       write_date = EXCLUDED.write_date""",
                self.id,
                subject or "",
                sequence,
                self.company_id.id,
                self.env.uid,
                self.env.uid,
            )
        )
        self.env["mfg.integration.mqtt.cursor"].invalidate_model()

    def _add_counts(self, counts):
        if not counts:
            return
        self.env.cr.execute(
            SQL(
                """UPDATE mfg_integration_mqtt_subscription
                   SET applied_count = COALESCE(applied_count, 0) + %s,
                       duplicate_count = COALESCE(duplicate_count, 0) + %s,
                       refused_count = COALESCE(refused_count, 0) + %s
                   WHERE id = %s""",
                counts["applied"],
                counts["duplicate"],
                counts["refused"],
                self.id,
            )
        )
        self.invalidate_recordset(["applied_count", "duplicate_count", "refused_count"])
        telemetry = self.env["mfg.integration.telemetry"]
        for outcome, amount in counts.items():
            telemetry._count(
                "mfg_mqtt_messages_total",
                amount,
                subscription=self.name,
                outcome=outcome,
                company=str(self.company_id.id),
            )

    def action_view_refused_messages(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Refused Messages"),
            "res_model": "mfg.integration.mqtt.refused.message",
            "view_mode": "list,form",
            "domain": [("subscription_id", "=", self.id)],
        }
