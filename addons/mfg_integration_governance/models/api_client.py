import ipaddress

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

CLIENT_STATES = [
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("approved", "Approved"),
    ("suspended", "Suspended"),
    ("revoked", "Revoked"),
]


def parse_networks(text):
    """Parse an allow-list (CIDR ranges or addresses, by line or comma)."""
    networks = []
    for token in (text or "").replace(",", "\n").split():
        networks.append(ipaddress.ip_network(token.strip(), strict=False))
    return networks


class MfgIntegrationClient(models.Model):
    """A partner or internal system allowed to call the suite's API."""

    _name = "mfg.integration.client"
    _description = "API Client"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "mfg.integration.audited",
        "mfg.integration.auth.source",
    ]
    _order = "name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    state = fields.Selection(
        CLIENT_STATES, default="draft", required=True, tracking=True, readonly=True, index=True
    )
    partner_id = fields.Many2one("res.partner", string="Partner", tracking=True)
    system_id = fields.Many2one(
        "mfg.integration.system",
        string="Connected System",
        tracking=True,
        check_company=True,
        help="The system this client speaks for: its identifiers and codes are used to "
        "translate what it sends.",
    )
    owner_id = fields.Many2one(
        "res.users",
        string="Owner",
        default=lambda self: self.env.user,
        required=True,
        tracking=True,
        help="Person accountable for this client; gets its expiry and alert activities.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    allowed_company_ids = fields.Many2many(
        "res.company",
        string="Allowed Companies",
        help="Companies whose data the client may touch. Empty: its own company only.",
    )
    environment = fields.Selection(
        [("production", "Production"), ("test", "Test"), ("development", "Development")],
        default="production",
        required=True,
        tracking=True,
    )
    scope_ids = fields.Many2many("mfg.integration.scope", string="Scopes", tracking=True)
    rate_limit_per_minute = fields.Integer(
        string="Requests per Minute", default=600, required=True, tracking=True
    )
    rate_limit_burst = fields.Integer(
        string="Burst",
        default=60,
        required=True,
        tracking=True,
        help="Requests allowed at once before the per-minute rate applies.",
    )
    ip_allowlist = fields.Text(
        string="IP Allow-list",
        tracking=True,
        help="CIDR ranges or addresses, IPv4 or IPv6, one per line. Empty: any address.",
    )
    key_rotation_grace_hours = fields.Integer(
        string="Rotation Grace (hours)",
        default=24,
        required=True,
        help="After a rotation the previous key keeps working this long.",
    )
    key_validity_days = fields.Integer(
        string="Key Validity (days)",
        default=365,
        help="New keys expire after this many days. 0: no expiry.",
    )
    technical_user_id = fields.Many2one(
        "res.users",
        string="Technical User",
        readonly=True,
        copy=False,
        help="The user the client's requests run as, with the groups its scopes need.",
    )
    requested_by_id = fields.Many2one("res.users", string="Submitted by", readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", string="Approved by", readonly=True, copy=False)
    approved_date = fields.Datetime(readonly=True, copy=False)
    key_ids = fields.One2many("mfg.integration.api.key", "client_id", string="Keys")
    active_key_count = fields.Integer(compute="_compute_key_stats", string="Valid Keys")
    usage_count = fields.Integer(compute="_compute_key_stats", string="Requests")
    last_used_at = fields.Datetime(compute="_compute_key_stats", string="Last Used")
    notes = fields.Html()
    change_ids = fields.One2many(
        "mfg.integration.client.change", "client_id", string="Change Requests"
    )
    pending_change_count = fields.Integer(compute="_compute_pending_change_count")

    def _compute_pending_change_count(self):
        counts = dict(
            self.env["mfg.integration.client.change"]._read_group(
                [("client_id", "in", self.ids), ("state", "=", "pending")],
                ["client_id"],
                ["__count"],
            )
        )
        for client in self:
            client.pending_change_count = counts.get(client, 0)

    @api.depends("key_ids.usage_count", "key_ids.last_used_at", "key_ids.state")
    def _compute_key_stats(self):
        for client in self:
            keys = client.key_ids
            client.active_key_count = len(keys.filtered(lambda k: k.state in ("active", "grace")))
            client.usage_count = sum(keys.mapped("usage_count"))
            used = keys.filtered("last_used_at").mapped("last_used_at")
            client.last_used_at = max(used) if used else False

    @api.constrains("ip_allowlist")
    def _check_ip_allowlist(self):
        for client in self:
            try:
                parse_networks(client.ip_allowlist)
            except ValueError as error:
                raise ValidationError(
                    _(
                        "The IP allow-list of %(client)s is not valid: %(error)s",
                        client=client.name,
                        error=error,
                    )
                ) from error

    @api.constrains("rate_limit_per_minute", "rate_limit_burst", "key_rotation_grace_hours")
    def _check_limits(self):
        for client in self:
            if client.rate_limit_per_minute < 1 or client.rate_limit_burst < 1:
                raise ValidationError(
                    _("The rate limit and burst of %s must be at least 1.", client.name)
                )
            if client.key_rotation_grace_hours < 0:
                raise ValidationError(_("The rotation grace period cannot be negative."))

    def _audit_client(self):
        return self

    # ------------------------------------------------------------------
    # Technical user
    # ------------------------------------------------------------------
    # set only by the life-cycle actions, never by a plain write
    _PROTECTED_FIELDS = frozenset(
        {"state", "requested_by_id", "approved_by_id", "approved_date", "technical_user_id"}
    )

    # what an approved client may do: changed only through an approved change request
    _GOVERNED_FIELDS = frozenset(
        {
            "scope_ids",
            "company_id",
            "allowed_company_ids",
            "ip_allowlist",
            "rate_limit_per_minute",
            "rate_limit_burst",
        }
    )

    def _check_governed(self, vals):
        """One manager alone cannot widen an approved client's access. Code
        running as the superuser (data files, the approval of a change request)
        is not a manager acting alone."""
        if not self._GOVERNED_FIELDS & set(vals) or self.env.su or self.env.uid == SUPERUSER_ID:
            return
        approved = self.filtered(lambda client: client.state == "approved")
        if approved:
            approved.check_access("write")
            raise UserError(
                _(
                    "%s is approved: its scopes, companies, IP allow-list and rate limits "
                    "change only through a change request that another Integration Manager "
                    "approves (Request Change).",
                    ", ".join(approved.mapped("name")),
                )
            )

    def _check_protected(self, vals):
        if self._PROTECTED_FIELDS & set(vals) and not self.env.context.get("mfg_client_lifecycle"):
            raise UserError(
                _(
                    "Use the Submit, Approve, Suspend and Revoke buttons to change a "
                    "client's status."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_protected(vals)
        clients = super().create(vals_list)
        clients.with_context(mfg_client_lifecycle=True)._sync_technical_user()
        return clients

    def write(self, vals):
        self._check_protected(vals)
        self._check_governed(vals)
        result = super().write(vals)
        if {"scope_ids", "company_id", "allowed_company_ids", "name", "state"} & set(vals):
            self._sync_technical_user()
        return result

    def _allowed_companies(self):
        self.ensure_one()
        return self.company_id | self.allowed_company_ids

    def _sync_technical_user(self):
        """Create or update each client's technical user: groups from scopes only."""
        Users = self.env["res.users"].sudo().with_context(no_reset_password=True)
        base_group = self.env.ref("base.group_user")
        for client in self.sudo():
            groups = base_group | client.scope_ids.group_ids
            values = {
                "name": _("API: %s", client.name),
                "company_id": client.company_id.id,
                "company_ids": [fields.Command.set(client._allowed_companies().ids)],
                "groups_id": [fields.Command.set(groups.ids)],
                "active": client.state != "revoked",
            }
            if client.technical_user_id:
                client.technical_user_id.with_context(active_test=False).write(values)
            else:
                # no password: the user cannot log in, it only runs API requests
                values["login"] = f"mfg-api-client-{client.id}"
                # the chatter needs an author address; this one reaches nobody
                values["email"] = f"mfg-api-client-{client.id}@api.invalid"
                client.technical_user_id = Users.create(values)

    # ------------------------------------------------------------------
    # Life cycle
    # ------------------------------------------------------------------
    def _check_manager(self):
        if not self.env.user.has_group("mfg_integration_core.group_integration_manager"):
            raise AccessError(_("Only an Integration Manager can do this."))

    def _set_state(self, allowed_from, state, action, extra=None):
        self._check_manager()
        for client in self:
            if client.state not in allowed_from:
                raise UserError(
                    _(
                        "%(client)s is %(state)s; this step needs it to be %(allowed)s.",
                        client=client.name,
                        state=dict(CLIENT_STATES)[client.state],
                        allowed=_(" or ").join(dict(CLIENT_STATES)[s] for s in allowed_from),
                    )
                )
        self.with_context(mfg_client_lifecycle=True).write({"state": state, **(extra or {})})
        for client in self:
            self.env["mfg.integration.audit.log"]._record(
                action, client, client=client, summary=f"{action} {client.name}"
            )

    def action_submit(self):
        """Ask for approval: another manager must approve (four-eyes)."""
        self._set_state(["draft"], "submitted", "submit", {"requested_by_id": self.env.uid})

    def action_approve(self):
        self._check_manager()
        for client in self:
            if client.requested_by_id == self.env.user:
                raise UserError(
                    _(
                        "You submitted %s for approval: another Integration Manager must "
                        "approve it (four-eyes principle).",
                        client.name,
                    )
                )
        self._set_state(
            ["submitted"],
            "approved",
            "approve",
            {"approved_by_id": self.env.uid, "approved_date": fields.Datetime.now()},
        )

    def action_reject(self):
        self._set_state(["submitted"], "draft", "reject", {"requested_by_id": False})

    def action_suspend(self):
        self._set_state(["approved"], "suspended", "suspend")

    def action_reactivate(self):
        """Suspended clients go back through approval."""
        self._set_state(["suspended"], "submitted", "reactivate", {"requested_by_id": self.env.uid})

    def action_revoke(self):
        self._set_state(["draft", "submitted", "approved", "suspended"], "revoked", "revoke")
        self.key_ids.filtered(lambda key: key.state != "revoked")._revoke(_("client revoked"))

    def action_request_change(self):
        """Propose new access for an approved client; another manager approves it."""
        self.ensure_one()
        self._check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": _("Request a Change of %s", self.name),
            "res_model": "mfg.integration.client.change",
            "view_mode": "form",
            "target": "new",
            "context": {"default_client_id": self.id},
        }

    # ------------------------------------------------------------------
    # Keys
    # ------------------------------------------------------------------
    def action_issue_key(self):
        """Generate a new key and show it once."""
        self.ensure_one()
        self._check_manager()
        if self.state != "approved":
            raise UserError(_("%s is not approved: only approved clients get keys.", self.name))
        key, secret = self.env["mfg.integration.api.key"]._issue(self)
        return key._reveal_action(secret)
