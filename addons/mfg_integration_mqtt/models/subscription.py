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

A Sparkplug B subscription (``payload_format``) reads the metrics of DATA
messages named as its command's fields, with the message's timestamp (and
its Sparkplug seq within a millisecond) as the sequence number; it records
births (to read aliases and data types) and applies its death command (e.g.
the machine's state unknown) once per death.
Several subscriptions may share a topic filter: each takes its own fields.
"""

import base64
import json
from collections import Counter
from datetime import UTC

from paho.mqtt.client import topic_matches_sub

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.mfg_integration_command.commands import ClientIdentity, Invocation
from odoo.addons.mfg_integration_command.problems import CommandProblem
from odoo.addons.mfg_integration_core.json_schema import schema_errors

from .. import sparkplug


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
    payload_format = fields.Selection(
        [("json", "JSON"), ("sparkplug_b", "Sparkplug B")],
        default="json",
        required=True,
        tracking=True,
        help="Sparkplug B: topics spBv1.0/<group>/<type>/<edge node>[/<device>]; the device "
        "(or the edge node) is the subject, the message's timestamp (and seq) its sequence number.",
    )
    metric_prefix = fields.Char(
        help="Sparkplug B: the metrics named <prefix><field> are the command's fields "
        "(e.g. prefix Machine/ and metric Machine/state for the field state).",
    )
    timestamp_field = fields.Char(
        default="at",
        help="Sparkplug B: the command field that receives the message's timestamp.",
    )
    death_body = fields.Text(
        string="On Death",
        help="Sparkplug B: the command's body when the machine's death certificate arrives, "
        'as JSON, e.g. {"state": "unknown"} (the timestamp field is added). Empty: deaths '
        "are recorded only.",
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

    @api.constrains(
        "command_name",
        "command_version",
        "topic",
        "subject_segment",
        "payload_format",
        "death_body",
    )
    def _check_command(self):
        for subscription in self:
            try:
                command = subscription._command()
            except CommandProblem as error:
                raise ValidationError(error.detail) from error
            levels = subscription.topic.split("/")
            if subscription.payload_format == "sparkplug_b":
                subscription._check_sparkplug(levels)
                continue
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

    def _check_sparkplug(self, levels):
        if levels[0] != sparkplug.NAMESPACE:
            raise ValidationError(
                _(
                    "A Sparkplug B topic filter starts with %(namespace)s/, e.g. "
                    "%(namespace)s/plant1/#.",
                    namespace=sparkplug.NAMESPACE,
                )
            )
        if self.death_body:
            try:
                body = json.loads(self.death_body)
            except ValueError as error:
                raise ValidationError(_("On Death is not valid JSON: %s", error)) from error
            if not isinstance(body, dict):
                raise ValidationError(_("On Death is a JSON object, e.g. {}."))

    def _command(self):
        return self.env["mfg.integration.command"]._command(self.command_name, self.command_version)

    def _uses_sequence(self):
        return self.payload_format == "sparkplug_b" or bool(self.sequence_field)

    def _subject_of(self, topic):
        if self.payload_format == "sparkplug_b":
            try:
                _type, node, device = sparkplug.parse_topic(topic)
            except sparkplug.SparkplugError:
                return None
            return device or node
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
        read = self._read
        if self.payload_format == "sparkplug_b":
            read = self._sparkplug_reader(command, topic, subject)
            if read is None:  # a birth, a death or what is not a machine's report
                return self._add_counts(self._sparkplug_lifecycle(command, topic, subject, raws))
        cursor = self._cursor(subject)
        last = cursor.last_sequence if cursor else 0
        counts = Counter()
        ready = []  # (payload, raw, messages) of new, readable messages, in order
        for received in raws:
            payload, sequence, problem = read(received)
            if sequence is not None:
                if sequence <= last:
                    counts["duplicate"] += 1
                    continue
                last = sequence
            if payload is None and problem is None:
                counts["skipped"] += 1  # none of this command's fields
                continue
            raw = self._kept_form(received, payload)
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
        if self._uses_sequence() and last and (not cursor or last != cursor.last_sequence):
            self._advance(subject, last)
        return self._add_counts(counts)

    def _kept_form(self, raw, payload):
        """What the message log and a refused message keep of a message: a
        decoded Sparkplug B payload as JSON (which a Retry reads again)."""
        if self.payload_format != "sparkplug_b":
            return raw
        if payload is None:
            return b"base64:" + base64.b64encode(raw)
        return json.dumps(payload, default=str).encode()

    def _read_kept(self, raw):
        """(payload, sequence, problem) of a kept message, to retry it."""
        if self.payload_format != "sparkplug_b":
            return self._read(raw)
        try:
            return json.loads(raw), None, None
        except (ValueError, UnicodeDecodeError):
            return (
                None,
                None,
                CommandProblem(
                    "unsupported-media-type", "The payload is not a Sparkplug B payload."
                ),
            )

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

    # ------------------------------------------------------------------
    # Sparkplug B
    # ------------------------------------------------------------------
    def _sparkplug_reader(self, command, topic, subject):
        """raw -> (payload, sequence, problem) for a DATA topic; None for the
        other message types."""
        try:
            message_type, _node, _device = sparkplug.parse_topic(topic)
        except sparkplug.SparkplugError:
            return None
        if message_type not in sparkplug.DATA:
            return None
        cursor = self._cursor(subject)
        birth = None
        if cursor and cursor.birth_payload:
            birth_type = "NBIRTH" if message_type == "NDATA" else "DBIRTH"
            birth = sparkplug.decode(birth_type, base64.b64decode(cursor.birth_payload))
        fields_ = set(command.request_schema.get("properties", {})) - {self.timestamp_field}

        def read(raw):
            try:
                data = sparkplug.decode(message_type, raw, birth)
            except sparkplug.SparkplugError as error:
                return None, None, CommandProblem("unsupported-media-type", str(error))
            values = {
                name: value
                for name, value in sparkplug.metrics_of(data, self.metric_prefix or "").items()
                if name in fields_ and value is not None
            }
            if not values:
                return None, sparkplug.sequence_of(data), None
            # reported by exception: a summed field left out adds nothing
            for name in command.summed:
                values.setdefault(name, 0)
            if self.timestamp_field:
                values[self.timestamp_field] = sparkplug.iso(data.timestamp)
            return values, sparkplug.sequence_of(data), None

        return read

    def _sparkplug_lifecycle(self, command, topic, subject, raws):
        """Births recorded, deaths applied once; other message types ignored."""
        counts = Counter()
        try:
            message_type, node, device = sparkplug.parse_topic(topic)
        except sparkplug.SparkplugError:
            message_type = node = device = None
        if message_type not in sparkplug.BIRTHS + sparkplug.DEATHS:
            counts["ignored"] += len(raws)  # commands to machines, host states
            return counts
        for raw in raws:
            try:
                payload = sparkplug.decode(message_type, raw)
            except sparkplug.SparkplugError as error:
                problem = CommandProblem("unsupported-media-type", str(error))
                self._refuse(topic, subject, self._kept_form(raw, None), problem.to_dict())
                counts["refused"] += 1
                continue
            if message_type in sparkplug.BIRTHS:
                counts[self._sparkplug_birth(subject, node, raw, payload)] += 1
            else:
                self._sparkplug_death(command, topic, message_type, node, device, payload, counts)
        return counts

    def _sparkplug_birth(self, subject, node, raw, birth):
        cursor = self._cursor(subject) or self.env["mfg.integration.mqtt.cursor"].sudo().create(
            {"subscription_id": self.id, "subject": subject}
        )
        if cursor.birth_timestamp and birth.timestamp <= cursor.birth_timestamp:
            return "duplicate"
        cursor.write(
            {
                "sparkplug_node": node,
                "birth_payload": base64.b64encode(raw),
                "birth_timestamp": birth.timestamp,
                "birth_death_sequence": sparkplug.birth_death_sequence(birth) or 0,
                "birth_metrics": ", ".join(m.name for m in birth.metrics)[:1000],
                "born_at": fields.Datetime.now(),
                "dead_at": False,
            }
        )
        return "birth"

    def _sparkplug_death(self, command, topic, message_type, node, device, death, counts):
        """The machines of a death certificate that are alive: dead now, and
        the death command applied to each (a death delivered again finds them
        dead already)."""
        Cursor = self.env["mfg.integration.mqtt.cursor"].sudo()
        alive = [
            ("subscription_id", "=", self.id),
            ("born_at", "!=", False),
            ("dead_at", "=", False),
        ]
        if message_type == "NDEATH":
            node_cursor = self._cursor(node)
            sequence = sparkplug.birth_death_sequence(death)
            if node_cursor.birth_payload and sequence not in (
                None,
                node_cursor.birth_death_sequence,
            ):
                counts["duplicate"] += 1  # the will of an earlier session of the node
                return
            cursors = Cursor.search([*alive, ("sparkplug_node", "=", node)], order="id")
        else:
            cursors = Cursor.search([*alive, ("subject", "=", device)])
        if not cursors:
            counts["duplicate"] += 1
            return
        counts["death"] += 1
        now = fields.Datetime.now()
        for cursor in cursors:
            cursor.dead_at = now
            if not self.death_body or not self._declares_fields(command, cursor):
                continue
            # after whatever the machine reported last, Odoo's clock permitting
            moment = max(
                int(now.replace(tzinfo=UTC).timestamp() * 1000),
                sparkplug.milliseconds_of(cursor.last_sequence) + 1,
            )
            payload = json.loads(self.death_body)
            if self.timestamp_field:
                payload[self.timestamp_field] = sparkplug.iso(moment)
            raw = json.dumps(payload).encode()
            response = self._run(command, topic, cursor.subject, payload, raw)
            if response.kind == "rate-limited":
                raise MqttWait(float(response.body.get("retry_after") or 1))
            if not response.succeeded:
                self._refuse(topic, cursor.subject, raw, response.body)
                counts["refused"] += 1
            self._advance(cursor.subject, sparkplug.sequence_of_moment(moment))

    def _declares_fields(self, command, cursor):
        """Whether the subject's birth declared a metric of the command (an
        edge node that only carries devices has no state of its own)."""
        message_type = "DBIRTH" if cursor.subject != cursor.sparkplug_node else "NBIRTH"
        birth = sparkplug.decode(message_type, base64.b64decode(cursor.birth_payload))
        names = set(sparkplug.metrics_of(birth, self.metric_prefix or ""))
        return bool(names & set(command.request_schema.get("properties", {})))

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
        if not self._uses_sequence():
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
            return counts
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
        return counts

    def action_view_refused_messages(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Refused Messages"),
            "res_model": "mfg.integration.mqtt.refused.message",
            "view_mode": "list,form",
            "domain": [("subscription_id", "=", self.id)],
        }
