from odoo import fields, models


class MrpWorkcenterProductivity(models.Model):
    _inherit = "mrp.workcenter.productivity"

    mfg_equipment_id = fields.Many2one(
        "maintenance.equipment",
        string="Reported by Machine",
        index=True,
        readonly=True,
        ondelete="set null",
        help="The machine whose state report opened this time row.",
    )
