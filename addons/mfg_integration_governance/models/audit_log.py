import json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.http import request

# fields every model has, that say nothing about a change
_SKIPPED_FIELDS = {
    "write_date",
    "write_uid",
    "create_date",
    "create_uid",
    "message_main_attachment_id",
    "display_name",
}


class MfgIntegrationAuditLog(models.Model):
    """Append-only trail of governance and mapping changes."""

    _name = "mfg.integration.audit.log"
    _description = "Integration Audit Record"
    _order = "id desc"
    _rec_name = "summary"

    user_id = fields.Many2one("res.users", string="User", readonly=True, index=True)
    action = fields.Char(readonly=True, index=True)
    model = fields.Char(readonly=True, index=True)
    model_description = fields.Char(string="Object", readonly=True)
    res_id = fields.Integer(string="Record Id", readonly=True)
    record_name = fields.Char(string="Record", readonly=True)
    client_id = fields.Many2one(
        "mfg.integration.client",
        string="API Client",
        readonly=True,
        index=True,
        ondelete="set null",
    )
    changes = fields.Text(readonly=True, help="Changed fields with their old and new value.")
    summary = fields.Char(readonly=True)
    ip_address = fields.Char(string="IP Address", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)

    def write(self, vals):  # pylint: disable=method-required-super
        # append-only: no path through the ORM changes a row
        raise UserError(self.env._("Audit records cannot be changed."))

    def unlink(self):  # pylint: disable=method-required-super
        raise UserError(
            self.env._(
                "Audit records cannot be deleted; the retention job purges them when they "
                "expire."
            )
        )

    @api.model
    def _record(self, action, records, changes=None, client=None, summary=None):
        """Append one audit row per record.

        :param changes: {record id: {field: [old, new]}}
        """
        ip_address = request.httprequest.remote_addr if request else False
        rows = []
        for record in records:
            record_changes = (changes or {}).get(record.id)
            company = "company_id" in record._fields and record.company_id
            rows.append(
                {
                    "user_id": self.env.uid,
                    "action": action,
                    "model": record._name,
                    "model_description": record._description,
                    "res_id": record.id,
                    "record_name": record.display_name,
                    "client_id": client.id if client else False,
                    "changes": json.dumps(record_changes, ensure_ascii=False, default=str)
                    if record_changes
                    else False,
                    "summary": summary
                    or f"{action} {record._description} {record.display_name}"[:250],
                    "ip_address": ip_address,
                    "company_id": company.id if company else self.env.company.id,
                }
            )
        return self.sudo().create(rows)

    @api.model
    def _purge_expired(self):
        """Delete rows past retention: the only way audit rows ever go."""
        Retention = self.env["mfg.integration.retention"]
        return Retention._purge_rule(Retention._retention_rules()["audit_log"])


class MfgIntegrationAudited(models.AbstractModel):
    """Mixin: creations, changes and deletions leave audit rows."""

    _name = "mfg.integration.audited"
    _description = "Audited Integration Record"

    def _audit_client(self):
        """The API client a record belongs to, if any (for filtering the trail)."""
        return self.env["mfg.integration.client"]

    def _audit_fields(self):
        return [
            name
            for name, field in self._fields.items()
            if field.store
            and name not in _SKIPPED_FIELDS
            and not name.startswith("message_")
            and not name.startswith("activity_")
            and field.type not in ("binary", "one2many")
        ]

    def _audit_value(self, field_name):
        self.ensure_one()
        value = self[field_name]
        field = self._fields[field_name]
        if field.type == "many2one":
            return value.display_name or None
        if field.type == "many2many":
            return sorted(value.mapped("display_name"))
        if field.type == "reference":
            return value.display_name if value else None
        return value if value is not False or field.type == "boolean" else None

    def _audit_snapshot(self, field_names):
        return {
            record.id: {name: record._audit_value(name) for name in field_names} for record in self
        }

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        names = records._audit_fields()
        after = records._audit_snapshot(names)
        Audit = self.env["mfg.integration.audit.log"]
        for record in records:
            changes = {k: [None, v] for k, v in after[record.id].items() if v not in (None, [])}
            Audit._record("create", record, {record.id: changes}, client=record._audit_client())
        return records

    def write(self, vals):
        names = [name for name in self._audit_fields() if name in vals]
        before = self._audit_snapshot(names) if names else {}
        result = super().write(vals)
        if names:
            after = self._audit_snapshot(names)
            Audit = self.env["mfg.integration.audit.log"]
            for record in self:
                changes = {
                    name: [before[record.id][name], after[record.id][name]]
                    for name in names
                    if before[record.id][name] != after[record.id][name]
                }
                if changes:
                    Audit._record(
                        "write", record, {record.id: changes}, client=record._audit_client()
                    )
        return result

    def unlink(self):
        Audit = self.env["mfg.integration.audit.log"]
        names = self._audit_fields()
        before = self._audit_snapshot(names)
        for record in self:
            changes = {k: [v, None] for k, v in before[record.id].items() if v not in (None, [])}
            Audit._record("unlink", record, {record.id: changes}, client=record._audit_client())
        return super().unlink()
