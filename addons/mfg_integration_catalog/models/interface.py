from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

BUSINESS_PROCESSES = [
    ("demand_to_production", "Demand to production"),
    ("procure_to_receipt", "Procure to receipt"),
    ("inventory", "Inventory"),
    ("quality_containment", "Quality containment"),
    ("order_to_ship", "Order to ship"),
    ("master_data", "Master data"),
    ("maintenance", "Maintenance"),
    ("finance", "Finance"),
    ("platform", "Integration platform"),
]
COEXISTENCE_MODES = [
    ("legacy", "Legacy"),
    ("shadow", "Shadow"),
    ("dual_run", "Dual run"),
    ("cut_over", "Cut over"),
    ("retired", "Retired"),
]
CLASSIFICATIONS = [
    ("public", "Public"),
    ("internal", "Internal"),
    ("confidential", "Confidential"),
    ("restricted", "Restricted"),
]
CRITICALITIES = [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")]
# what a stopped interface of each business process stops: the start of a proposal
PROCESS_CRITICALITY = {
    "demand_to_production": "high",
    "quality_containment": "high",
    "order_to_ship": "high",
    "procure_to_receipt": "medium",
    "inventory": "medium",
    "maintenance": "medium",
    "master_data": "medium",
    "finance": "medium",
    "platform": "high",
}
# 30 days of messages above which an interface is proposed one level more critical
HIGH_VOLUME_30D = 30000
# the fields whose change alters what the request path does (its cached policy)
POLICY_FIELDS = {"code", "mode", "classification", "redacted_pointers", "successor_id", "active"}


class MfgIntegrationInterface(models.Model):
    """One business interface: the commands, event types, endpoints, sinks
    and queues that together carry one exchange between systems, with who
    owns it, how critical it is and where it stands in the migration."""

    _name = "mfg.integration.interface"
    _description = "Integration Interface"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "mfg.integration.audited",
        "mfg.integration.catalog.governed",
    ]
    _order = "migration_wave, code"

    code = fields.Char(required=True, tracking=True, index=True)
    name = fields.Char(required=True, tracking=True, translate=True)
    active = fields.Boolean(default=True, tracking=True)
    business_process = fields.Selection(BUSINESS_PROCESSES, required=True, tracking=True)
    direction = fields.Selection(
        [
            ("inbound", "Inbound (into Odoo)"),
            ("outbound", "Outbound (from Odoo)"),
            ("bidirectional", "Both ways"),
        ],
        required=True,
        default="inbound",
        tracking=True,
    )
    source_system_id = fields.Many2one(
        "mfg.integration.system", string="Source System", ondelete="restrict", tracking=True
    )
    target_system_id = fields.Many2one(
        "mfg.integration.system", string="Target System", ondelete="restrict", tracking=True
    )
    owner_id = fields.Many2one(
        "res.users",
        string="Owner",
        tracking=True,
        help="Answers for the interface: its changes, its service levels, its retirement.",
    )
    support_team = fields.Char(tracking=True, help="Who is called when the interface fails.")
    criticality = fields.Selection(
        CRITICALITIES,
        required=True,
        default="medium",
        tracking=True,
    )
    proposed_criticality = fields.Selection(
        CRITICALITIES,
        compute="_compute_proposed_criticality",
        help="From the business process, one level up above 30,000 messages in 30 days; "
        "a person confirms it.",
    )
    latency_class = fields.Selection(
        [("real_time", "Real time"), ("near_real_time", "Near real time"), ("batch", "Batch")],
        required=True,
        default="near_real_time",
        tracking=True,
    )
    freshness_objective_minutes = fields.Integer(
        string="Freshness Objective (min)",
        tracking=True,
        help="The oldest a change may be when it arrives.",
    )
    rpo_minutes = fields.Integer(
        string="RPO (min)", tracking=True, help="Recovery point objective: data that may be lost."
    )
    rto_minutes = fields.Integer(
        string="RTO (min)", tracking=True, help="Recovery time objective: how long it may be down."
    )
    classification = fields.Selection(
        CLASSIFICATIONS,
        required=True,
        default="internal",
        tracking=True,
        help="Restricted: the message log keeps no payload, only metadata. Confidential: "
        "the values at the Redacted Pointers are masked in the message log.",
    )
    redacted_pointers = fields.Text(
        tracking=True,
        help="Confidential interfaces: one JSON pointer per line (RFC 6901, * for every "
        "item), e.g. /lot_name or /lines/*/quantity; masked in logged payloads.",
    )
    migration_wave = fields.Integer(default=1, tracking=True, aggregator=False)
    mode = fields.Selection(
        COEXISTENCE_MODES,
        string="Coexistence Mode",
        required=True,
        default="cut_over",
        tracking=True,
        help="Legacy: the old link carries the traffic. Shadow: ours is applied and rolled "
        "back, what it would have done is recorded. Dual run: both live. Cut over: ours "
        "only. Retired: its commands answer 410 Gone, naming the successor.",
    )
    previous_mode = fields.Selection(
        COEXISTENCE_MODES,
        readonly=True,
        copy=False,
        help="The mode before the last change: what a rollback returns to.",
    )
    successor_id = fields.Many2one(
        "mfg.integration.interface",
        string="Successor",
        tracking=True,
        help="What replaces a retired interface; named in the 410 problem document.",
    )
    object_type_ids = fields.Many2many(
        "mfg.integration.object.type",
        string="Object Types",
        help="The canonical objects it exchanges: two interfaces that exchange one between "
        "the same two systems are a redundant link.",
    )
    notes = fields.Html()
    # measured from the message log, not typed
    volume_30d = fields.Integer(
        string="Messages (30 days)",
        compute="_compute_usage",
        search="_search_volume_30d",
        help="Commands logged in 30 days.",
    )
    error_rate_30d = fields.Float(
        string="Error Rate (30 days) %",
        compute="_compute_usage",
        digits=(16, 1),
        help="Share of the last 30 days' commands that were refused or failed.",
    )
    last_used = fields.Datetime(compute="_compute_usage", help="Its last logged command.")
    member_ids = fields.One2many("mfg.integration.interface.member", "interface_id")
    member_count = fields.Integer(compute="_compute_member_count")
    shadow_run_count = fields.Integer(compute="_compute_shadow_run_count")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    count = fields.Integer(default=1, help="For counting in pivot and graph views.")

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "An interface code is used once."),
    ]

    @api.constrains("redacted_pointers")
    def _check_redacted_pointers(self):
        for interface in self:
            for pointer in interface._pointers():
                if not pointer.startswith("/"):
                    raise ValidationError(
                        _("'%s' is not a JSON pointer: it must start with '/'.", pointer)
                    )

    @api.constrains("successor_id")
    def _check_successor(self):
        if self._has_cycle("successor_id"):
            raise ValidationError(_("An interface cannot succeed itself, even through others."))

    def _pointers(self):
        self.ensure_one()
        return tuple(
            line.strip() for line in (self.redacted_pointers or "").splitlines() if line.strip()
        )

    def _compute_usage(self):
        since = fields.Datetime.subtract(fields.Datetime.now(), days=30)
        Log = self.env["mfg.integration.message.log"].sudo()
        interfaces = self.filtered("id")
        counts = {}
        for interface, status, count in Log._read_group(
            [("interface_id", "in", interfaces.ids), ("create_date", ">=", since)],
            ["interface_id", "status"],
            ["__count"],
        ):
            counts.setdefault(interface.id, {})[status] = count
        last = dict(
            Log._read_group(
                [("interface_id", "in", interfaces.ids)], ["interface_id"], ["create_date:max"]
            )
        )
        for interface in self:
            by_status = counts.get(interface.id, {})
            volume = sum(by_status.values())
            errors = by_status.get("rejected", 0) + by_status.get("failed", 0)
            interface.volume_30d = volume
            interface.error_rate_30d = 100.0 * errors / volume if volume else 0.0
            interface.last_used = last.get(interface, False)

    @api.depends("business_process", "volume_30d")
    def _compute_proposed_criticality(self):
        levels = [code for code, _label in CRITICALITIES]
        for interface in self:
            level = levels.index(PROCESS_CRITICALITY.get(interface.business_process, "medium"))
            if interface.volume_30d >= HIGH_VOLUME_30D:
                level = min(level + 1, len(levels) - 1)
            interface.proposed_criticality = levels[level]

    def action_confirm_proposed_criticality(self):
        for interface in self:
            interface.criticality = interface.proposed_criticality
        return True

    def _search_volume_30d(self, operator, value):
        """Only "= 0" (unused: candidates to retire) and "> 0" are searched."""
        if (operator, value) not in (("=", 0), (">", 0)):
            raise UserError(_("Messages (30 days) can only be searched for = 0 or > 0."))
        since = fields.Datetime.subtract(fields.Datetime.now(), days=30)
        used = (
            self.env["mfg.integration.message.log"]
            .sudo()
            ._read_group(
                [("interface_id", "!=", False), ("create_date", ">=", since)], ["interface_id"]
            )
        )
        ids = [interface.id for (interface,) in used]
        return [("id", "not in" if operator == "=" else "in", ids)]

    def _compute_member_count(self):
        groups = dict(
            self.env["mfg.integration.interface.member"]._read_group(
                [("interface_id", "in", self.ids)], ["interface_id"], ["__count"]
            )
        )
        for interface in self:
            interface.member_count = groups.get(interface, 0)

    def _compute_shadow_run_count(self):
        groups = dict(
            self.env["mfg.integration.shadow.run"]._read_group(
                [("interface_id", "in", self.ids)], ["interface_id"], ["__count"]
            )
        )
        for interface in self:
            interface.shadow_run_count = groups.get(interface, 0)

    @api.depends("code", "name")
    def _compute_display_name(self):
        for interface in self:
            interface.display_name = f"[{interface.code}] {interface.name}"

    @api.model_create_multi
    def create(self, vals_list):
        interfaces = super().create(vals_list)
        self.env.registry.clear_cache()  # the request path's policy cache
        return interfaces

    def _in_production(self):
        """Ours carries its traffic: its changes are approved by four eyes."""
        return self.mode in ("dual_run", "cut_over")

    def write(self, vals):
        self._check_governed_write(vals)
        if "mode" in vals and "previous_mode" not in vals:
            for interface in self.filtered(lambda i: i.mode != vals["mode"]):
                super(MfgIntegrationInterface, interface).write({"previous_mode": interface.mode})
        result = super().write(vals)
        if POLICY_FIELDS & set(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    # ------------------------------------------------------------------
    # Rollback
    # ------------------------------------------------------------------
    def action_rollback(self):
        """Ask for the reason, then put the interface back to its previous mode."""
        self.ensure_one()
        if not self.previous_mode:
            raise UserError(_("%s has no previous mode to return to.", self.display_name))
        return {
            "type": "ir.actions.act_window",
            "name": _("Roll back %s", self.code),
            "res_model": "mfg.integration.interface.rollback",
            "view_mode": "form",
            "target": "new",
            "context": {"default_interface_id": self.id},
        }

    def _rollback(self, reason):
        """Back to the previous mode: the chatter and the audit trail say why,
        and the owner and the connected systems' owners get an activity."""
        self.ensure_one()
        if not self.previous_mode:
            raise UserError(_("%s has no previous mode to return to.", self.display_name))
        labels = dict(self._fields["mode"]._description_selection(self.env))
        left, back = self.mode, self.previous_mode
        # the emergency way back is not held for approval: its reason, audit row
        # and notifications are its control
        self.sudo().write({"mode": back})
        summary = _(
            "Rolled back from %(left)s to %(back)s: %(reason)s",
            left=labels[left],
            back=labels[back],
            reason=reason,
        )
        self.env["mfg.integration.audit.log"]._record(
            "rollback", self, {self.id: {"mode": [left, back]}}, summary=summary
        )
        self.message_post(body=summary)
        to_notify = self.owner_id | self.source_system_id.owner_id | self.target_system_id.owner_id
        for user in to_notify:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=user.id,
                summary=_("%s rolled back to %s", self.code, labels[back]),
                note=summary,
            )
        return True

    def action_view_members(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Members of %s", self.code),
            "res_model": "mfg.integration.interface.member",
            "view_mode": "list,form",
            "domain": [("interface_id", "=", self.id)],
            "context": {"default_interface_id": self.id},
        }

    def action_view_shadow_runs(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Shadow runs of %s", self.code),
            "res_model": "mfg.integration.shadow.run",
            "view_mode": "list,form",
            "domain": [("interface_id", "=", self.id)],
        }
