from odoo import api, fields, models


class MfgIntegrationEquipmentCount(models.Model):
    """The parts a machine reported for one period (one row per applied
    counters command: a window of summed telemetry, or one REST call)."""

    _name = "mfg.integration.equipment.count"
    _description = "Equipment Part Count"
    _order = "date_end desc, id desc"

    equipment_id = fields.Many2one(
        "maintenance.equipment", required=True, index=True, ondelete="cascade"
    )
    workcenter_id = fields.Many2one("mrp.workcenter", string="Work Center", index=True)
    date_start = fields.Datetime(string="From", required=True)
    date_end = fields.Datetime(string="To", required=True)
    good_qty = fields.Integer(string="Good Parts")
    rejected_qty = fields.Integer(string="Rejected Parts")
    quality = fields.Float(
        compute="_compute_quality",
        store=True,
        aggregator="avg",
        help="Good parts in percent of the parts made.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    @api.depends("good_qty", "rejected_qty")
    def _compute_quality(self):
        for count in self:
            made = count.good_qty + count.rejected_qty
            count.quality = 100.0 * count.good_qty / made if made else 0.0
