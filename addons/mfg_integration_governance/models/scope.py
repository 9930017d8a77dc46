from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# groups no API client may ever act with
FORBIDDEN_GROUPS = ("base.group_system", "base.group_erp_manager")


class MfgIntegrationScope(models.Model):
    """A right an API client can be granted, e.g. production:write."""

    _name = "mfg.integration.scope"
    _description = "API Scope"
    _inherit = ["mfg.integration.audited", "mfg.integration.auth.source"]
    _order = "code"
    _rec_name = "code"

    code = fields.Char(required=True, help="resource:action, e.g. production:write")
    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True)
    group_ids = fields.Many2many(
        "res.groups",
        string="Groups Needed",
        help="Groups the client's technical user gets with this scope, so that the "
        "business transaction it calls may run.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A scope with this code already exists."),
    ]

    @api.constrains("group_ids")
    def _check_group_ids(self):
        forbidden = self.env["res.groups"]
        for xmlid in FORBIDDEN_GROUPS:
            forbidden |= self.env.ref(xmlid)
        for scope in self:
            granted = scope.group_ids | scope.group_ids.trans_implied_ids
            if granted & forbidden:
                raise ValidationError(
                    _(
                        "Scope %(scope)s would make API clients administrators (%(groups)s); "
                        "API requests never run with administration rights.",
                        scope=scope.code,
                        groups=", ".join((granted & forbidden).mapped("full_name")),
                    )
                )

    def write(self, vals):
        result = super().write(vals)
        if "group_ids" in vals:
            clients = (
                self.env["mfg.integration.client"].sudo().search([("scope_ids", "in", self.ids)])
            )
            clients._sync_technical_user()
        return result
