"""The event catalog and the transactional outbox.

An event row is written in the same transaction as the business change that
causes it: a rolled-back change leaves no event, a committed one always has it.
"""

import json
import uuid

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from ..exceptions import EventPayloadError, MappingError
from ..json_schema import errors_of, validator_for

SPEC_VERSION = "1.0"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# definitions that every payload schema may use with {"$ref": "#/$defs/<name>"}
SHARED_SCHEMA_DEFS = {
    "recordReference": {
        "description": "A record named by the event: its Odoo model, id and reference, and "
        "the receiving system's own id for it where a cross-reference exists (else null).",
        "type": ["object", "null"],
        "required": ["model", "odoo_id", "reference"],
        "properties": {
            "model": {"type": "string"},
            "odoo_id": {"type": "integer"},
            "reference": {"type": "string"},
            "id": {"type": ["string", "null"]},
        },
    },
}


class MfgIntegrationEventType(models.Model):
    _name = "mfg.integration.event.type"
    _description = "Event Type"
    _order = "name"

    name = fields.Char(
        required=True, help="Versioned name, e.g. mrp.production.released.v1", index=True
    )
    description = fields.Text(translate=True)
    owner_id = fields.Many2one("res.users", string="Owner")
    payload_schema = fields.Text(string="Payload JSON Schema")
    state = fields.Selection(
        [("active", "Active"), ("deprecated", "Deprecated")], default="active", required=True
    )
    sunset_date = fields.Date(help="Deprecated types stop being emitted after this date.")
    event_count = fields.Integer(compute="_compute_event_count", string="Events")

    _sql_constraints = [("name_uniq", "unique(name)", "An event type with this name exists.")]

    @api.constrains("name")
    def _check_name(self):
        for event_type in self:
            parts = event_type.name.rsplit(".", 1)
            if len(parts) != 2 or not parts[1].startswith("v") or not parts[1][1:].isdigit():
                raise ValidationError(
                    _("Event type '%s' must end with a version, e.g. '.v1'.", event_type.name)
                )

    @api.constrains("payload_schema")
    def _check_payload_schema(self):
        for event_type in self.filtered("payload_schema"):
            try:
                json.loads(event_type.payload_schema)
                Draft202012Validator.check_schema(event_type._served_schema())
            except (ValueError, SchemaError) as error:
                raise ValidationError(
                    _(
                        "The payload schema of %(type)s is not a JSON Schema: %(error)s",
                        type=event_type.name,
                        error=getattr(error, "message", error),
                    )
                ) from error
            missing = event_type._unresolved_refs()
            if missing:
                raise ValidationError(
                    _(
                        "The payload schema of %(type)s refers to unknown definitions: %(refs)s",
                        type=event_type.name,
                        refs=", ".join(sorted(missing)),
                    )
                )

    @api.model
    def _shared_schema_defs(self):
        """Definitions every payload schema may refer to as ``#/$defs/<name>``.

        It can be inherited to add definitions of a business domain.
        """
        return dict(SHARED_SCHEMA_DEFS)

    def _served_schema(self):
        """The payload schema as one self-contained JSON Schema 2020-12 document:
        the shared definitions travel with it, under ``$defs``."""
        self.ensure_one()
        schema = json.loads(self.payload_schema or "{}")
        defs = {**self._shared_schema_defs(), **schema.get("$defs", {})}
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "title": self.name,
            "description": self.description or "",
            **schema,
            "$defs": defs,
        }

    def _unresolved_refs(self):
        served = self._served_schema()
        refs = set()

        def collect(node):
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    refs.add(ref.removeprefix("#/$defs/"))
                for value in node.values():
                    collect(value)
            elif isinstance(node, list):
                for value in node:
                    collect(value)

        collect(served)
        return refs - set(served["$defs"])

    # the event type look-up of every emit is cached: any change clears it
    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # _emit_lookup
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()  # _emit_lookup
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()  # _emit_lookup
        return super().unlink()

    @api.model
    @tools.ormcache("name")
    def _emit_lookup(self, name):
        """(id, sunset date or None if never, validator of its payload schema or
        None) of an event type, or None if unknown. Cached: an emit compiles
        nothing; any change of an event type clears the cache."""
        event_type = self.sudo().search([("name", "=", name)], limit=1)
        if not event_type:
            return None
        sunset = event_type.state == "deprecated" and event_type.sunset_date or None
        validator = None
        if event_type.payload_schema:
            validator = validator_for(event_type._served_schema())
        return event_type.id, sunset, validator

    def _compute_event_count(self):
        counts = dict(
            self.env["mfg.integration.event"]._read_group(
                [("type_id", "in", self.ids)], ["type_id"], ["__count"]
            )
        )
        for event_type in self:
            event_type.event_count = counts.get(event_type, 0)


class MfgIntegrationEvent(models.Model):
    """The outbox: one row per canonical event, with its CloudEvents attributes."""

    _name = "mfg.integration.event"
    _description = "Integration Event"
    _order = "id desc"
    _rec_name = "event_uid"

    event_uid = fields.Char(string="Event Id", required=True, readonly=True, index=True)
    type_id = fields.Many2one(
        "mfg.integration.event.type", required=True, readonly=True, index=True
    )
    type = fields.Char(related="type_id.name", store=True)
    source = fields.Char(readonly=True)
    subject = fields.Char(readonly=True, index=True)
    sequence = fields.Integer(readonly=True, help="Increasing per subject.")
    time = fields.Datetime(readonly=True, required=True)
    correlation_id = fields.Char(readonly=True, index=True)
    traceparent = fields.Char(readonly=True)
    data = fields.Text(readonly=True)
    res_model = fields.Char(readonly=True, index=True)
    res_id = fields.Many2oneReference(model_field="res_model", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)

    _sql_constraints = [
        ("uid_uniq", "unique(event_uid)", "Event ids are unique."),
        (
            "subject_sequence_uniq",
            "unique(subject, sequence)",
            "Two events of one subject cannot share a sequence number.",
        ),
    ]

    @api.model
    def _emit(self, type_name, record, data, subject=None):
        """Write an event for `record` in the current transaction; return it.

        A deprecated type emits nothing after its sunset date; a type that does
        not exist, or a payload that does not match its type's schema, is an
        error of the caller (EventPayloadError: the change is not committed
        without its event).
        """
        found = self.env["mfg.integration.event.type"]._emit_lookup(type_name)
        if not found:
            raise UserError(
                _("No event type %s exists: declare it in the event catalog.", type_name)
            )
        type_id, sunset, validator = found
        if sunset and sunset < fields.Date.today():
            return self.browse()
        payload = json.dumps(data, default=str, ensure_ascii=False)
        if validator is not None:
            # what subscribers receive is the JSON text: check that, not the Python values
            errors = errors_of(validator, json.loads(payload))
            if errors:
                raise EventPayloadError(type_name, errors)
        subject = subject or f"{record._name}/{record.id}"
        # one counter row per subject: two transactions that emit for one subject
        # conflict on it, and the later one is retried (serialization failure)
        # instead of reusing the number the earlier one took
        self.env.cr.execute(
            """
            INSERT INTO mfg_integration_event_subject AS counter (subject, last_sequence)
            VALUES (%s, 1)
            ON CONFLICT (subject) DO UPDATE SET last_sequence = counter.last_sequence + 1
            RETURNING last_sequence
            """,
            [subject],
        )
        sequence = self.env.cr.fetchone()[0]
        context = self.env.context
        company = "company_id" in record._fields and record.company_id or self.env.company
        event_uid = f"evt_{uuid.uuid4().hex}"
        with self.env["mfg.integration.telemetry"]._span(
            f"emit {type_name}",
            kind="producer",
            traceparent=context.get("mfg_traceparent"),
            attributes={
                "messaging.system": "mfg_outbox",
                "messaging.operation.type": "create",
                "messaging.operation.name": "emit",
                "messaging.destination.name": type_name,
                "messaging.message.id": event_uid,
                # the outbox is a PostgreSQL table, written in the change's transaction
                "db.system": "postgresql",
            },
        ) as span:
            event = self.sudo().create(
                {
                    "event_uid": event_uid,
                    "type_id": type_id,
                    "source": f"/odoo/{self.env.cr.dbname}/{record._name}",
                    "subject": subject,
                    "sequence": sequence,
                    "time": fields.Datetime.now(),
                    "correlation_id": context.get("mfg_correlation_id") or str(uuid.uuid4()),
                    # the emit's span (where traced): the deliveries' spans continue it
                    "traceparent": span.traceparent,
                    "data": payload,
                    "res_model": record._name,
                    "res_id": record.id,
                    "company_id": company.id,
                }
            )
            # in the span: the subscribers' drain jobs are enqueued from it
            self._on_events_emitted(event)
        return event

    def init(self):
        # the counters start where the events are: emitting then needs no look-up
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS mfg_integration_event_subject (
                subject varchar PRIMARY KEY,
                last_sequence integer NOT NULL
            );
            INSERT INTO mfg_integration_event_subject AS counter (subject, last_sequence)
            SELECT subject, MAX(sequence) FROM mfg_integration_event
             WHERE subject IS NOT NULL GROUP BY subject
            ON CONFLICT (subject) DO UPDATE
               SET last_sequence = GREATEST(counter.last_sequence, EXCLUDED.last_sequence)
            """
        )

    @api.model
    def _on_events_emitted(self, events):
        """One delivery per subscriber of every sink kind, in the events' transaction.

        It can be inherited to react to new events in their own transaction.
        """
        for Sink in self.env["mfg.integration.outbox.sink"]._sink_models():
            Sink._fan_out(events)
        return None

    def _envelope(self, system=None):
        """The CloudEvents 1.0 envelope (structured mode).

        With a system, every record reference in the data ({"model", "odoo_id",
        ...}) gains the system's own id for it, where a cross-reference exists.
        """
        self.ensure_one()
        envelope = {
            "specversion": SPEC_VERSION,
            "id": self.event_uid,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time.isoformat() + "Z",
            "datacontenttype": "application/json",
            "dataschema": f"/api/mfg/v1/events/schemas/{self.type}",
            "sequence": self.sequence,
            "correlationid": self.correlation_id,
            "data": self._translate(json.loads(self.data or "null"), system),
        }
        if self.traceparent:
            envelope["traceparent"] = self.traceparent
        return envelope

    def _translate(self, value, system):
        if not system:
            return value
        if isinstance(value, list):
            return [self._translate(item, system) for item in value]
        if not isinstance(value, dict):
            return value
        value = {key: self._translate(item, system) for key, item in value.items()}
        if value.get("model") in self.env and value.get("odoo_id"):
            record = self.env[value["model"]].browse(value["odoo_id"])
            try:
                value["id"] = self.env["mfg.integration.mapping"].external_id_of(
                    system, record, raise_if_missing=False
                )
            except MappingError:
                value["id"] = None
        return value

    @api.model
    def _ref(self, record):
        """How the data of an event names a record."""
        if not record:
            return None
        return {"model": record._name, "odoo_id": record.id, "reference": record.display_name}
