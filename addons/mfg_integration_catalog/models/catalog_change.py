"""Four-eyes changes of what is in production: an interface that carries
traffic (dual run, cut over) or an API version that callers use (production,
deprecated). Requested by a catalog consultant, approved and applied by
another Integration Manager, as governance does for API clients; the approver
reads the diff, every step leaves an audit row."""

import json

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

# {target model: {proposed field: the target's field}}
GOVERNED_FIELDS = {
    "mfg.integration.interface": {
        "new_mode": "mode",
        "new_classification": "classification",
        "new_redacted_pointers": "redacted_pointers",
        "new_interface_successor_id": "successor_id",
    },
    "mfg.integration.api.version": {
        "new_state": "state",
        "new_deprecation_date": "deprecation_date",
        "new_sunset_date": "sunset_date",
        "new_version_successor_id": "successor_id",
    },
}


def _selection_of(model, field_name):
    """The selection of a target's field, with what other addons added to it."""

    def selection(self):
        return self.env[model]._fields[field_name]._description_selection(self.env)

    return selection


class MfgIntegrationGovernedChange(models.AbstractModel):
    """Mixin of the catalog's records whose production changes need approval."""

    _name = "mfg.integration.catalog.governed"
    _description = "Catalog Record Changed Under Four-Eyes Approval"

    def _in_production(self):
        raise NotImplementedError

    def _check_governed_write(self, vals):
        """Refuse a direct change of a governed field of a record in production:
        only an approved change request applies it (as superuser, which an
        RPC caller cannot be)."""
        if self.env.su:
            return
        self.check_access("write")  # who may not write at all hears that first
        governed = set(GOVERNED_FIELDS[self._name].values()) & set(vals)
        for record in self.filtered(lambda r: r._in_production()):
            changed = [
                name
                for name in governed
                if record._fields[name].convert_to_record(
                    record._fields[name].convert_to_cache(vals[name], record), record
                )
                != record[name]
            ]
            if changed:
                labels = ", ".join(record._fields[name].string for name in sorted(changed))
                raise UserError(
                    _(
                        "%(record)s is in production: a change of %(fields)s is requested "
                        "(Request a Change) and applied once another Integration Manager "
                        "approves it.",
                        record=record.display_name,
                        fields=labels,
                    )
                )

    def action_request_change(self):
        self.ensure_one()
        target = "interface_id" if self._name == "mfg.integration.interface" else "version_id"
        return {
            "type": "ir.actions.act_window",
            "name": _("Request a change of %s", self.display_name),
            "res_model": "mfg.integration.catalog.change",
            "view_mode": "form",
            "target": "new",
            "context": {f"default_{target}": self.id},
        }


class MfgIntegrationCatalogChange(models.Model):
    _name = "mfg.integration.catalog.change"
    _inherit = "mfg.integration.change.request"
    _description = "Catalog Change Request"
    _order = "id desc"
    _rec_name = "target_name"

    interface_id = fields.Many2one(
        "mfg.integration.interface", string="Interface", index=True, ondelete="cascade"
    )
    version_id = fields.Many2one(
        "mfg.integration.api.version", string="API Version", index=True, ondelete="cascade"
    )
    target_name = fields.Char(string="Changes", compute="_compute_target", store=True)
    company_id = fields.Many2one(
        "res.company", compute="_compute_target", store=True, index=True, string="Company"
    )
    state = fields.Selection(
        [("pending", "Pending Approval"), ("approved", "Approved"), ("rejected", "Rejected")],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    reason = fields.Text(help="Why the change is needed; the approver reads it.")
    new_mode = fields.Selection(
        _selection_of("mfg.integration.interface", "mode"), string="Coexistence Mode"
    )
    new_classification = fields.Selection(
        _selection_of("mfg.integration.interface", "classification"), string="Data Classification"
    )
    new_redacted_pointers = fields.Text(string="Redacted Pointers")
    new_interface_successor_id = fields.Many2one(
        "mfg.integration.interface", string="Successor Interface"
    )
    new_state = fields.Selection(
        _selection_of("mfg.integration.api.version", "state"), string="Version State"
    )
    new_deprecation_date = fields.Date(string="Deprecation Date")
    new_sunset_date = fields.Date(string="Sunset Date")
    new_version_successor_id = fields.Many2one(
        "mfg.integration.api.version", string="Successor Version"
    )
    changes = fields.Text(
        string="Changes (JSON)",
        readonly=True,
        help="The fields the request changes, with their value then and proposed.",
    )
    changes_summary = fields.Text(string="Diff", compute="_compute_changes_summary")
    requested_by_id = fields.Many2one(
        "res.users", string="Requested by", readonly=True, default=lambda self: self.env.user
    )
    decided_by_id = fields.Many2one("res.users", string="Decided by", readonly=True)
    decided_date = fields.Datetime(string="Decided on", readonly=True)

    _sql_constraints = [
        (
            "one_target",
            "CHECK((interface_id IS NULL) != (version_id IS NULL))",
            "A change request changes one interface or one API version.",
        ),
    ]

    def _target(self):
        self.ensure_one()
        return self.interface_id or self.version_id

    @api.depends("interface_id", "version_id")
    def _compute_target(self):
        for change in self:
            target = change.interface_id or change.version_id
            change.target_name = target.display_name
            change.company_id = target.company_id

    @api.depends("changes")
    def _compute_changes_summary(self):
        for change in self:
            target = change.interface_id or change.version_id
            lines = []
            for name, (old, new) in json.loads(change.changes or "{}").items():
                label = target._fields[name].string
                lines.append(f"{label}: {old if old is not None else '—'} → {new}")
            change.changes_summary = "\n".join(lines)

    @api.model
    def default_get(self, fields_list):
        """Propose the target's current values, for the requester to edit."""
        values = super().default_get(fields_list)
        for target_field, model in (
            ("interface_id", "mfg.integration.interface"),
            ("version_id", "mfg.integration.api.version"),
        ):
            target = self.env[model].browse(values.get(target_field))
            if target:
                values.update(self._proposal_of(target))
        return values

    @api.model
    def _proposal_of(self, target):
        return {
            proposed: target._fields[current].convert_to_write(target[current], target)
            for proposed, current in GOVERNED_FIELDS[target._name].items()
        }

    def _diff(self):
        """{target field: [current, proposed]} for the fields that differ."""
        self.ensure_one()
        target = self._target()
        diff = {}
        for proposed, current in GOVERNED_FIELDS[target._name].items():
            field = target._fields[current]
            value = self[proposed]
            if field.type == "many2one":
                changed, new = value != target[current], value.display_name or None
            else:
                changed = (value or None) != (target[current] or None)
                new = value or None
            if changed:
                diff[current] = [target._audit_value(current), new]
        return diff

    def _target_values(self):
        """The write the approval applies: only the fields the request changes."""
        self.ensure_one()
        target = self._target()
        proposed_of = {
            current: proposed for proposed, current in GOVERNED_FIELDS[target._name].items()
        }
        return {
            name: self._fields[proposed_of[name]].convert_to_write(self[proposed_of[name]], self)
            for name in json.loads(self.changes or "{}")
        }

    # ------------------------------------------------------------------
    # Life cycle
    # ------------------------------------------------------------------
    @api.model
    def _check_consultant(self):
        if not self.env.user.has_group("mfg_integration_catalog.group_integration_consultant"):
            raise UserError(_("Only a catalog consultant can request a change."))

    @api.model_create_multi
    def create(self, vals_list):
        self._check_consultant()
        for vals in vals_list:
            vals.pop("state", None)
            vals["requested_by_id"] = self.env.uid
            # what the request does not name stays as it is
            for target_field, model in (
                ("interface_id", "mfg.integration.interface"),
                ("version_id", "mfg.integration.api.version"),
            ):
                target = self.env[model].browse(vals.get(target_field))
                for name, value in self._proposal_of(target).items() if target else ():
                    vals.setdefault(name, value)
        changes = super().create(vals_list)
        Audit = self.env["mfg.integration.audit.log"]
        for change in changes:
            target = change._target()
            if self.search_count(
                [
                    ("interface_id", "=", change.interface_id.id),
                    ("version_id", "=", change.version_id.id),
                    ("state", "=", "pending"),
                    ("id", "!=", change.id),
                ]
            ):
                raise UserError(
                    _(
                        "A change of %s is already waiting for approval: approve or reject it "
                        "first.",
                        target.display_name,
                    )
                )
            diff = change._diff()
            if not diff:
                raise UserError(_("This request changes nothing of %s.", target.display_name))
            change._record_decision({"changes": json.dumps(diff, ensure_ascii=False, default=str)})
            Audit._record(
                "change_requested",
                target,
                {target.id: diff},
                summary=f"change of {target.display_name} requested"[:250],
            )
            target.message_post(
                body=_(
                    "Change requested by %(user)s, waiting for another Integration Manager:\n"
                    "%(changes)s",
                    user=self.env.user.name,
                    changes=change.changes_summary,
                )
            )
        return changes

    def action_approve(self):
        """Apply the change: another Integration Manager than the requester."""
        self._check_decidable()
        Audit = self.env["mfg.integration.audit.log"]
        for change in self:
            target = change._target()
            if change.requested_by_id == self.env.user:
                raise UserError(
                    _(
                        "You requested this change of %s: another Integration Manager must "
                        "approve it (four-eyes principle).",
                        target.display_name,
                    )
                )
            diff = json.loads(change.changes)
            moved = [
                name
                for name, (old, _new) in diff.items()
                if json.loads(json.dumps(target._audit_value(name), default=str)) != old
            ]
            if moved:
                raise UserError(
                    _(
                        "%(target)s changed since the request (%(fields)s): reject it and "
                        "request the change again.",
                        target=target.display_name,
                        fields=", ".join(target._fields[name].string for name in moved),
                    )
                )
            # sudo is what lets a governed field of a record in production change;
            # the user stays the approver, in the audit trail too
            target.sudo().write(change._target_values())
            change._record_decision(
                {
                    "state": "approved",
                    "decided_by_id": self.env.uid,
                    "decided_date": fields.Datetime.now(),
                }
            )
            Audit._record(
                "change_approved",
                target,
                {target.id: diff},
                summary=f"change of {target.display_name} approved and applied"[:250],
            )
            target.message_post(body=_("Change approved by %s and applied.", self.env.user.name))
        return True

    def action_reject(self):
        """Refuse the change (the requester may withdraw their own)."""
        self._check_decidable()
        Audit = self.env["mfg.integration.audit.log"]
        for change in self:
            target = change._target()
            change._record_decision(
                {
                    "state": "rejected",
                    "decided_by_id": self.env.uid,
                    "decided_date": fields.Datetime.now(),
                }
            )
            Audit._record(
                "change_rejected",
                target,
                summary=f"change of {target.display_name} rejected"[:250],
            )
            target.message_post(body=_("Change rejected by %s.", self.env.user.name))
        return True

    @api.constrains("new_version_successor_id", "version_id")
    def _check_successor(self):
        for change in self:
            if change.version_id and change.new_version_successor_id == change.version_id:
                raise ValidationError(_("A version cannot succeed itself."))
