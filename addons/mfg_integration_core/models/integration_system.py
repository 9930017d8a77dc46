from odoo import api, fields, models

SYSTEM_KINDS = [
    ("mes", "MES"),
    ("wms", "WMS"),
    ("plm", "PLM"),
    ("supplier_portal", "Supplier portal"),
    ("transport", "Transport / carrier"),
    ("iiot", "IIoT"),
    ("quality", "Quality"),
    ("finance", "Finance"),
    ("other", "Other"),
]


class MfgIntegrationSystem(models.Model):
    """An external system that exchanges messages with Odoo."""

    _name = "mfg.integration.system"
    _description = "Connected System"
    _inherit = ["mail.thread", "mail.activity.mixin", "mfg.integration.mapping.source"]
    _order = "code"
    _rec_names_search = ["code", "name"]
    _check_company_auto = True

    code = fields.Char(
        required=True,
        tracking=True,
        help="Short identifier used in messages, logs and mappings, e.g. MES-01.",
    )
    name = fields.Char(required=True, tracking=True)
    kind = fields.Selection(SYSTEM_KINDS, required=True, default="other", tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    environment = fields.Selection(
        [
            ("production", "Production"),
            ("test", "Test"),
            ("development", "Development"),
        ],
        required=True,
        default="production",
        tracking=True,
    )
    owner_id = fields.Many2one(
        "res.users",
        string="Owner",
        default=lambda self: self.env.user,
        tracking=True,
        help="Person accountable for this interface.",
    )
    criticality = fields.Selection(
        [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")],
        required=True,
        default="medium",
        tracking=True,
    )
    active = fields.Boolean(default=True, tracking=True)
    notes = fields.Html()
    xref_count = fields.Integer(compute="_compute_counts", string="Cross-references")
    value_map_count = fields.Integer(compute="_compute_counts", string="Value maps")
    message_log_count = fields.Integer(compute="_compute_counts", string="Logged Messages")

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "A connected system with this code already exists in this company.",
        ),
    ]

    @api.depends("code", "name")
    def _compute_display_name(self):
        for system in self:
            system.display_name = f"[{system.code}] {system.name}" if system.code else system.name

    def _compute_counts(self):
        for field_name, model_name in (
            ("xref_count", "mfg.integration.xref"),
            ("value_map_count", "mfg.integration.value.map"),
            ("message_log_count", "mfg.integration.message.log"),
        ):
            counts = dict(
                self.env[model_name]._read_group(
                    [("system_id", "in", self.ids)], ["system_id"], ["__count"]
                )
            )
            for system in self:
                system[field_name] = counts.get(system._origin, 0)

    @api.model
    def _find(self, system):
        """Return the system record for a record, an id or a code (current company first)."""
        if isinstance(system, models.BaseModel):
            return system
        if isinstance(system, int):
            return self.browse(system).exists()
        found = self.search([("code", "=", system)], order="company_id")
        current = found.filtered(lambda s: s.company_id == self.env.company)
        return (current or found)[:1]

    def _action_open_related(self, model_name, title):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": model_name,
            "view_mode": "list,form",
            "domain": [("system_id", "=", self.id)],
            "context": {"default_system_id": self.id},
        }

    def action_view_xrefs(self):
        return self._action_open_related("mfg.integration.xref", self.env._("Cross-references"))

    def action_view_value_maps(self):
        return self._action_open_related("mfg.integration.value.map", self.env._("Value maps"))

    def action_view_message_logs(self):
        return self._action_open_related("mfg.integration.message.log", self.env._("Messages"))
