import json
import re

from odoo import api, fields, models
from odoo.tools import SQL

REDACTED = "***"
SENSITIVE_KEY = re.compile(
    r"(authorization|api[-_]?key|password|passwd|secret|token|signature|cookie)", re.I
)
BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


def redact(value):
    """Return a copy of value with secrets (by key name or bearer token) masked."""
    if isinstance(value, dict):
        return {
            key: REDACTED if SENSITIVE_KEY.search(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return BEARER.sub(lambda match: f"{match.group(1)} {REDACTED}", value)
    return value


class MfgIntegrationMessageLog(models.Model):
    """One inbound or outbound exchange with a connected system."""

    _name = "mfg.integration.message.log"
    _inherit = ["mfg.integration.record.link"]
    _description = "Integration Message Log"
    _order = "id desc"
    _rec_name = "correlation_id"

    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")], required=True, index=True
    )
    system_id = fields.Many2one("mfg.integration.system", index=True, ondelete="set null")
    route = fields.Char(help="Inbound route or outbound endpoint URL.", index=True)
    method = fields.Char(string="HTTP Method")
    correlation_id = fields.Char(index=True)
    traceparent = fields.Char(string="Trace Parent")
    status = fields.Selection(
        [
            ("success", "Success"),
            ("accepted", "Accepted"),
            ("rejected", "Rejected"),
            ("failed", "Failed"),
        ],
        required=True,
        index=True,
    )
    http_status = fields.Integer(string="HTTP Status", aggregator=False)
    latency_ms = fields.Float(string="Latency (ms)", digits=(16, 1), aggregator="avg")
    attempt = fields.Integer(default=1, aggregator="max")
    request_headers = fields.Text()
    request_payload = fields.Text()
    response_payload = fields.Text()
    error = fields.Text()
    res_model = fields.Char(string="Related Model", index=True)
    res_id = fields.Many2oneReference(string="Related Record Id", model_field="res_model")
    record_ref = fields.Reference(
        selection="_selection_target_model",
        string="Related Record",
        compute="_compute_record_ref",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    count = fields.Integer(default=1, help="For counting in pivot and graph views.")

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for log in self:
            valid = log.res_model in self.env and log.res_id
            log.record_ref = f"{log.res_model},{log.res_id}" if valid else False

    # ------------------------------------------------------------------
    # Writing
    # ------------------------------------------------------------------
    @api.model
    def _serialize(self, payload, max_bytes):
        """Redact and cap a payload (dict, list or text) for storage."""
        if payload is None:
            return False
        if isinstance(payload, bytes):
            payload = payload.decode("utf-8", errors="replace")
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                text = redact(payload)
            else:
                text = json.dumps(redact(payload), ensure_ascii=False, default=str)
        else:
            text = json.dumps(redact(payload), ensure_ascii=False, default=str)
        encoded = text.encode("utf-8")
        if len(encoded) > max_bytes:
            kept = encoded[:max_bytes].decode("utf-8", errors="ignore")
            text = f"{kept}\n… [truncated: {len(encoded)} bytes in all]"
        return text

    @api.model
    def _prepare_log_values(self, values, record=None, max_bytes=None):
        """Field values of one log row: payloads redacted and capped."""
        values = dict(values)
        if max_bytes is None:
            max_bytes = self.env["mfg.integration.settings"]._get("log_payload_max_bytes", 65536)
        for key in ("request_headers", "request_payload", "response_payload", "error"):
            if key in values:
                values[key] = self._serialize(values[key], max_bytes)
        if record:
            values.update(res_model=record._name, res_id=record.id)
        # PostgreSQL text cannot hold NUL: a hostile sender must not break the log
        return {
            key: value.replace("\x00", "\\u0000") if isinstance(value, str) else value
            for key, value in values.items()
        }

    @api.model
    def _log_exchange(self, values, record=None, independent=False):
        """Write one log row; payloads are redacted and capped.

        :param values: field values; request_headers, request_payload and
            response_payload may be dicts, lists, bytes or text
        :param record: related business record, if any
        :param independent: write and commit in a separate transaction, so
            that the row survives a rollback of the caller's transaction
        """
        values = self._prepare_log_values(values, record)
        if not independent:
            return self.sudo().create(values)
        with self.env.registry.cursor() as cr:
            log = self.with_env(self.env(cr=cr)).sudo().create(values)
            log_id = log.id
        return self.browse(log_id)

    @api.model
    def _log_exchange_after(self, statements, values, record=None):
        """Write one log row as ``_log_exchange`` does, in this transaction,
        sent to the database in one round trip after ``statements`` (SQL):
        for a hot path that writes rows of its own with each exchange, such
        as the inbound API (its idempotency record). Returns the log record.

        The row is inserted in SQL with the ORM's defaults and conversions;
        where an addon overrides ``create`` of the log or adds stored computed
        fields to it, the statements run first and the row is created by the
        ORM, so such extensions keep working.
        """
        Log = self.sudo()
        values = Log._prepare_log_values(values, record)
        insert = Log._insert_statement(values)
        cr = self.env.cr
        if insert is None:
            for statement in statements:
                cr.execute(statement)
            return Log.create(values)
        cr.execute(SQL("; ".join(["%s"] * (len(statements) + 1)), *statements, insert))
        return self.browse(cr.fetchone()[0])

    @api.model
    def _insert_statement(self, values):
        """The INSERT of one row with ``values`` (defaults added) that returns
        its id, or None when only the ORM's create can write it faithfully."""
        if not self._fast_insert_allowed():
            return None
        company_id = values.get("company_id")
        model = self.with_context(allowed_company_ids=[company_id]) if company_id else self
        values = model._add_missing_default_values(values)
        columns, row = [], []
        for name, value in values.items():
            field = self._fields[name]
            if name in models.LOG_ACCESS_COLUMNS:
                continue
            if not (field.store and field.column_type):
                return None
            columns.append(SQL.identifier(name))
            row.append(field.convert_to_column_insert(value, model, values))
        now = SQL("(now() AT TIME ZONE 'UTC')")
        for name in ("create_uid", "write_uid"):
            columns.append(SQL.identifier(name))
            row.append(self.env.uid)
        for name in ("create_date", "write_date"):
            columns.append(SQL.identifier(name))
            row.append(now)
        return SQL(
            "INSERT INTO %s (%s) VALUES (%s) RETURNING id",
            SQL.identifier(self._table),
            SQL(", ").join(columns),
            SQL(", ").join(row),
        )

    @api.model
    def _fast_insert_allowed(self):
        """Whether an INSERT writes a row as ``create`` would: no addon
        overrides ``create`` of the log, nor adds a stored computed field."""
        return type(self).create is models.BaseModel.create and not any(
            field.store and field.compute for field in self._fields.values()
        )

    # ------------------------------------------------------------------
    # Retention
    # ------------------------------------------------------------------
    @api.model
    def _purge_expired(self, batch_size=None):
        """Delete rows older than the retention period; return how many."""
        Retention = self.env["mfg.integration.retention"]
        return Retention._purge_rule(Retention._retention_rules()["message_log"], batch_size)
