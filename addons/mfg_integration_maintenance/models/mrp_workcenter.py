from odoo import fields, models


class MrpWorkcenter(models.Model):
    _inherit = "mrp.workcenter"

    mfg_equipment_ids = fields.One2many(
        "maintenance.equipment",
        "mfg_workcenter_id",
        string="Machines",
        help="The equipment whose reported states are this work center's productivity time.",
    )
