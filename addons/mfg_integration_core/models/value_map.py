from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class MfgIntegrationValueMap(models.Model):
    """The codes one system uses for one domain (units, statuses, reasons...)."""

    _name = "mfg.integration.value.map"
    _description = "Value Map"
    _inherit = ["mail.thread", "mfg.integration.mapping.source"]
    _order = "system_id, domain"

    system_id = fields.Many2one(
        "mfg.integration.system", required=True, ondelete="cascade", index=True, tracking=True
    )
    domain = fields.Char(
        required=True,
        tracking=True,
        help="What the codes mean, e.g. uom, mrp.production.state, scrap.reason.",
    )
    name = fields.Char(compute="_compute_name", store=True)
    description = fields.Text()
    target_model = fields.Char(
        string="Odoo Model",
        help="When set, each entry may point to a record of this model (e.g. uom.uom).",
    )
    case_sensitive = fields.Boolean(
        help="Match external codes exactly. Off: 'kg', 'KG' and 'Kg' are the same code.",
    )
    default_canonical_value = fields.Char(
        string="Inbound Default",
        tracking=True,
        help="Canonical value used for an external code that has no entry. Empty: "
        "an unknown code is an error.",
    )
    default_external_code = fields.Char(
        string="Outbound Default",
        tracking=True,
        help="External code sent for a canonical value that has no entry. Empty: "
        "an unmapped value is an error.",
    )
    line_ids = fields.One2many("mfg.integration.value.map.line", "map_id", string="Entries")
    line_count = fields.Integer(compute="_compute_line_count", string="Entries Count")
    company_id = fields.Many2one(related="system_id.company_id", store=True, index=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "system_domain_uniq",
            "unique(system_id, domain)",
            "This system already has a value map for this domain.",
        ),
    ]

    @api.depends("system_id.code", "domain")
    def _compute_name(self):
        for value_map in self:
            value_map.name = f"{value_map.system_id.code or ''} / {value_map.domain or ''}"

    @api.depends("line_ids")
    def _compute_line_count(self):
        for value_map in self:
            value_map.line_count = len(value_map.line_ids)

    @api.constrains("case_sensitive")
    def _check_case_collisions(self):
        self.line_ids._check_external_code_unique()

    @api.constrains("target_model")
    def _check_target_model(self):
        for value_map in self.filtered("target_model"):
            if not self.env["ir.model"]._get(value_map.target_model):
                raise ValidationError(_("Odoo model '%s' does not exist.", value_map.target_model))


class MfgIntegrationValueMapLine(models.Model):
    """One external code and the canonical value (or Odoo record) it stands for."""

    _name = "mfg.integration.value.map.line"
    _inherit = ["mfg.integration.mapping.source"]
    _description = "Value Map Entry"
    _order = "map_id, sequence, external_code"
    _rec_name = "external_code"

    map_id = fields.Many2one(
        "mfg.integration.value.map", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    system_id = fields.Many2one(related="map_id.system_id", store=True)
    domain = fields.Char(related="map_id.domain", store=True)
    external_code = fields.Char(required=True)
    canonical_value = fields.Char(
        help="The suite's own value, e.g. 'in_progress' or 'kg'. Filled from the Odoo "
        "record's name when empty.",
    )
    record_ref = fields.Reference(
        selection="_selection_target_model",
        string="Odoo Record",
        help="The Odoo record this code stands for (e.g. a unit of measure).",
    )
    outbound_preferred = fields.Boolean(
        string="Preferred Outbound",
        help="When several codes stand for the same value, send this one.",
    )
    company_id = fields.Many2one(related="map_id.company_id", store=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "code_uniq",
            "unique(map_id, external_code)",
            "This external code already has an entry in this value map.",
        ),
    ]

    @api.constrains("external_code", "map_id", "active")
    def _check_external_code_unique(self):
        for line in self:
            if line.external_code != line.external_code.strip() or not line.external_code:
                raise ValidationError(
                    _(
                        "External code '%s' is empty or has leading or trailing spaces.",
                        line.external_code,
                    )
                )
            if line.map_id.case_sensitive:
                continue
            clash = line.map_id.line_ids.filtered(
                lambda other, line=line: other != line
                and other.active
                and other.external_code.lower() == line.external_code.lower()
            )
            if clash:
                raise ValidationError(
                    _(
                        "Value map %(map)s matches codes regardless of case, so '%(code)s' "
                        "and '%(other)s' would be the same code. Remove one, or make the "
                        "map case-sensitive.",
                        map=line.map_id.name,
                        code=line.external_code,
                        other=clash[0].external_code,
                    )
                )

    @api.constrains("external_code", "canonical_value", "record_ref")
    def _check_value(self):
        for line in self:
            if not line.canonical_value and not line.record_ref:
                raise ValidationError(
                    _(
                        "Entry '%(code)s' of value map %(map)s needs a canonical value or "
                        "an Odoo record.",
                        code=line.external_code,
                        map=line.map_id.name,
                    )
                )
            target_model = line.map_id.target_model
            if line.record_ref and target_model and line.record_ref._name != target_model:
                raise ValidationError(
                    _(
                        "Entry '%(code)s' of value map %(map)s must point to a %(model)s "
                        "record.",
                        code=line.external_code,
                        map=line.map_id.name,
                        model=target_model,
                    )
                )
