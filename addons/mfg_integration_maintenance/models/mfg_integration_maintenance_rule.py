from odoo import api, fields, models


class MfgIntegrationMaintenanceRule(models.Model):
    """Which alarms of an equipment category open a maintenance request, and
    for which team at which priority."""

    _name = "mfg.integration.maintenance.rule"
    _description = "Machine Alarm Rule"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    category_id = fields.Many2one(
        "maintenance.equipment.category",
        string="Equipment Category",
        help="Leave empty for a rule that applies to every category without one of its own.",
    )
    min_severity = fields.Integer(
        string="Minimum Severity",
        default=500,
        required=True,
        help="An alarm of this severity or more opens a maintenance request "
        "(a stop with a reason always does).",
    )
    team_id = fields.Many2one("maintenance.team", string="Team")
    priority = fields.Selection(
        [("0", "Very Low"), ("1", "Low"), ("2", "Normal"), ("3", "High")], default="2"
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    @api.model
    def _for_equipment(self, equipment):
        """The rule of the equipment's category, else the catch-all rule."""
        rules = self.sudo().search(
            [
                ("company_id", "=", equipment.company_id.id or self.env.company.id),
                ("category_id", "in", [equipment.category_id.id, False]),
            ]
        )
        return rules.filtered("category_id")[:1] or rules[:1]
