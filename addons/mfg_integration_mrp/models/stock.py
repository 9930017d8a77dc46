from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression


class StockLot(models.Model):
    _inherit = "stock.lot"

    mfg_hold = fields.Boolean(string="On Quality Hold", tracking=True, copy=False)
    mfg_hold_reason = fields.Char(string="Hold Reason", copy=False)
    mfg_hold_date = fields.Datetime(string="Held Since", copy=False)

    def _mfg_put_on_hold(self, reason):
        """Hold the lots: free their reservations, which go to other lots."""
        self.write(
            {"mfg_hold": True, "mfg_hold_reason": reason, "mfg_hold_date": fields.Datetime.now()}
        )
        lines = (
            self.env["stock.move.line"]
            .sudo()
            .search(
                [
                    ("lot_id", "in", self.ids),
                    ("state", "not in", ("done", "cancel")),
                    ("picked", "=", False),
                ]
            )
        )
        moves = lines.move_id
        moves._do_unreserve()
        moves._action_assign()
        for lot in self:
            lot.message_post(body=_("Put on quality hold: %s", reason or _("no reason given")))
        return moves.filtered(lambda move: move.picking_code == "outgoing")

    def _mfg_release(self, reason):
        self.write({"mfg_hold": False, "mfg_hold_reason": False, "mfg_hold_date": False})
        for lot in self:
            lot.message_post(
                body=_("Released from quality hold: %s", reason or _("no reason given"))
            )


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _get_gather_domain(
        self, product_id, location_id, lot_id=None, package_id=None, owner_id=None, strict=False
    ):
        domain = super()._get_gather_domain(
            product_id, location_id, lot_id, package_id, owner_id, strict
        )
        if not lot_id and not strict:
            # held lots are never picked by a reservation
            domain = expression.AND(
                [domain, ["|", ("lot_id", "=", False), ("lot_id.mfg_hold", "=", False)]]
            )
        return domain


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    def _action_done(self):
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


class StockPicking(models.Model):
    _inherit = "stock.picking"

    mfg_tracking_ref = fields.Char(string="Tracking Reference", copy=False, tracking=True)
    mfg_carrier_name = fields.Char(string="Carrier", copy=False)
