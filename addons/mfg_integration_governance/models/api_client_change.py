"""Four-eyes changes of an approved client's access: requested by one
Integration Manager, approved and applied by another."""

import json

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .api_client import parse_networks

# the client field each proposed field changes
PROPOSED_FIELDS = {
    "new_scope_ids": "scope_ids",
    "new_company_id": "company_id",
    "new_allowed_company_ids": "allowed_company_ids",
    "new_ip_allowlist": "ip_allowlist",
    "new_rate_limit_per_minute": "rate_limit_per_minute",
    "new_rate_limit_burst": "rate_limit_burst",
}


class MfgIntegrationChangeRequest(models.AbstractModel):
    """What every four-eyes change request shares: once made it is decided,
    not edited, and only by an Integration Manager. It can be inherited by
    the change requests of other governed records (e.g. the catalog's)."""

    _name = "mfg.integration.change.request"
    _description = "Four-Eyes Change Request"

    def write(self, vals):
        if any(change.state != "pending" for change in self):
            raise UserError(_("A decided change request cannot be edited."))
        if set(vals) - {"reason"}:
            raise UserError(_("Reject this request and make a new one to propose other values."))
        return super().write(vals)

    def _record_decision(self, vals):
        """Write what the request itself records (its diff, its decision),
        past the guard that keeps users from editing it."""
        return super().write(vals)

    def _check_decidable(self):
        self.env["mfg.integration.client"]._check_manager()
        for change in self:
            if change.state != "pending":
                raise UserError(_("This change request was already decided."))


class MfgIntegrationClientChange(models.Model):
    _name = "mfg.integration.client.change"
    _inherit = "mfg.integration.change.request"
    _description = "API Client Change Request"
    _order = "id desc"
    _rec_name = "client_id"

    client_id = fields.Many2one(
        "mfg.integration.client",
        string="API Client",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('state', '=', 'approved')]",
    )
    company_id = fields.Many2one(
        related="client_id.company_id", string="Client Company", store=True, index=True
    )
    state = fields.Selection(
        [
            ("pending", "Pending Approval"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
        ],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    reason = fields.Text(help="Why the change is needed; the approver reads it.")
    new_scope_ids = fields.Many2many(
        "mfg.integration.scope",
        "mfg_integration_client_change_scope_rel",
        "change_id",
        "scope_id",
        string="Scopes",
    )
    new_company_id = fields.Many2one("res.company", string="Company")
    new_allowed_company_ids = fields.Many2many(
        "res.company",
        "mfg_integration_client_change_company_rel",
        "change_id",
        "company_id",
        string="Allowed Companies",
    )
    new_ip_allowlist = fields.Text(string="IP Allow-list")
    new_rate_limit_per_minute = fields.Integer(string="Requests per Minute")
    new_rate_limit_burst = fields.Integer(string="Burst")
    changes = fields.Text(
        string="Changes (JSON)",
        readonly=True,
        help="The fields the request changes, with their value then and proposed.",
    )
    changes_summary = fields.Text(string="Changes", compute="_compute_changes_summary")
    requested_by_id = fields.Many2one(
        "res.users", string="Requested by", readonly=True, default=lambda self: self.env.user
    )
    decided_by_id = fields.Many2one("res.users", string="Decided by", readonly=True)
    decided_date = fields.Datetime(string="Decided on", readonly=True)

    @api.depends("changes")
    def _compute_changes_summary(self):
        for change in self:
            lines = []
            for name, (old, new) in json.loads(change.changes or "{}").items():
                label = self.env["mfg.integration.client"]._fields[name].string
                lines.append(f"{label}: {old} → {new}")
            change.changes_summary = "\n".join(lines)

    @api.constrains("new_ip_allowlist", "new_rate_limit_per_minute", "new_rate_limit_burst")
    def _check_proposal(self):
        for change in self:
            try:
                parse_networks(change.new_ip_allowlist)
            except ValueError as error:
                raise ValidationError(
                    _("The proposed IP allow-list is not valid: %s", error)
                ) from error
            if change.new_rate_limit_per_minute < 1 or change.new_rate_limit_burst < 1:
                raise ValidationError(_("The proposed rate limit and burst must be at least 1."))

    @api.model
    def default_get(self, fields_list):
        """Propose the client's current values, for the requester to edit."""
        values = super().default_get(fields_list)
        client = self.env["mfg.integration.client"].browse(values.get("client_id"))
        if client:
            values.update(self._proposal_of(client))
        return values

    @api.onchange("client_id")
    def _onchange_client_id(self):
        if self.client_id:
            self.update(self._proposal_of(self.client_id))

    @api.model
    def _proposal_of(self, client):
        return {
            proposed: client._fields[current].convert_to_write(client[current], client)
            for proposed, current in PROPOSED_FIELDS.items()
        }

    def _client_values(self):
        """The write the approval applies: only the fields the request changes."""
        self.ensure_one()
        values = {}
        for name in json.loads(self.changes or "{}"):
            proposed = next(key for key, value in PROPOSED_FIELDS.items() if value == name)
            values[name] = self._fields[proposed].convert_to_write(self[proposed], self)
        return values

    def _diff(self):
        """{client field: [current, proposed]} for the fields that differ."""
        self.ensure_one()
        client = self.client_id
        diff = {}
        for proposed, current in PROPOSED_FIELDS.items():
            old = client._audit_value(current)
            value = self[proposed]
            field = self._fields[proposed]
            if field.type == "many2one":
                new = value.display_name or None
            elif field.type == "many2many":
                new = sorted(value.mapped("display_name"))
            else:
                new = value if value is not False else None
            if field.type == "many2many":
                changed = set(value.ids) != set(client[current].ids)
            elif field.type == "many2one":
                changed = value != client[current]
            else:
                changed = (value or None) != (client[current] or None)
            if changed:
                diff[current] = [old, new]
        return diff

    # ------------------------------------------------------------------
    # Life cycle
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self.env["mfg.integration.client"]._check_manager()
        for vals in vals_list:
            vals.pop("state", None)
            vals["requested_by_id"] = self.env.uid
            # what the request does not name stays as it is
            client = self.env["mfg.integration.client"].browse(vals.get("client_id"))
            for name, value in self._proposal_of(client).items() if client else ():
                vals.setdefault(name, value)
        changes = super().create(vals_list)
        Audit = self.env["mfg.integration.audit.log"]
        for change in changes:
            client = change.client_id
            if client.state != "approved":
                raise UserError(
                    _(
                        "%s is not approved: change it directly, a change request is only "
                        "needed once it is approved.",
                        client.name,
                    )
                )
            if self.search_count(
                [("client_id", "=", client.id), ("state", "=", "pending"), ("id", "!=", change.id)]
            ):
                raise UserError(
                    _(
                        "A change of %s is already waiting for approval: approve or reject it "
                        "first.",
                        client.name,
                    )
                )
            diff = change._diff()
            if not diff:
                raise UserError(_("This request changes nothing of %s.", client.name))
            # applied later through _client_values: no direct write needed here
            change._record_decision({"changes": json.dumps(diff, ensure_ascii=False, default=str)})
            Audit._record(
                "change_requested",
                client,
                {client.id: diff},
                client=client,
                summary=f"change of {client.name} requested"[:250],
            )
            client.message_post(
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
            client = change.client_id
            if change.requested_by_id == self.env.user:
                raise UserError(
                    _(
                        "You requested this change of %s: another Integration Manager must "
                        "approve it (four-eyes principle).",
                        client.name,
                    )
                )
            if client.state == "revoked":
                raise UserError(_("%s is revoked: its access no longer changes.", client.name))
            # sudo is what lets the governed fields of an approved client change;
            # the user stays the approver, in the audit trail too
            client.sudo().write(change._client_values())
            change._record_decision(
                {
                    "state": "approved",
                    "decided_by_id": self.env.uid,
                    "decided_date": fields.Datetime.now(),
                }
            )
            Audit._record(
                "change_approved",
                client,
                {client.id: json.loads(change.changes)},
                client=client,
                summary=f"change of {client.name} approved and applied"[:250],
            )
            client.message_post(body=_("Change approved by %s and applied.", self.env.user.name))
        return True

    def action_reject(self):
        """Refuse the change (the requester may withdraw their own)."""
        self._check_decidable()
        Audit = self.env["mfg.integration.audit.log"]
        for change in self:
            client = change.client_id
            change._record_decision(
                {
                    "state": "rejected",
                    "decided_by_id": self.env.uid,
                    "decided_date": fields.Datetime.now(),
                }
            )
            Audit._record(
                "change_rejected",
                client,
                client=client,
                summary=f"change of {client.name} rejected"[:250],
            )
            client.message_post(body=_("Change rejected by %s.", self.env.user.name))
        return True
