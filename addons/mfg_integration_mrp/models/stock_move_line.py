from odoo import _, models
from odoo.exceptions import UserError


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    def _action_done(self):
        # a lot on quality hold is never shipped (stock.lot._mfg_put_on_hold)
        held = self.filtered(
            lambda line: line.lot_id.mfg_hold and line.picking_code == "outgoing" and line.quantity
        )
        if held:
            raise UserError(
                _(
                    "Lot %(lots)s is on quality hold and cannot be shipped.",
                    lots=", ".join(held.lot_id.mapped("name")),
                )
            )
        return super()._action_done()
