from odoo import _, fields, models

from .events import emit


class StockLot(models.Model):
    _inherit = "stock.lot"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------

    mfg_hold = fields.Boolean(string="On Quality Hold", tracking=True, copy=False)
    mfg_hold_reason = fields.Char(string="Hold Reason", copy=False)
    mfg_hold_date = fields.Datetime(string="Held Since", copy=False)

    # ------------------------------------------------------------------
    # Business methods (what the commands call)
    # ------------------------------------------------------------------

    def _mfg_put_on_hold(self, reason):
        """Hold the lots: free their reservations, which go to other lots.
        Return the outgoing moves the lots were reserved for."""
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
        blocked = moves.filtered(lambda move: move.picking_code == "outgoing")
        emit(self, "stock.lot.held.v1", lambda lot: lot._mfg_lot_payload())
        return blocked

    def _mfg_release_hold(self, reason):
        """Release the lots from quality hold and reserve them for the moves
        that wait for them."""
        self.write({"mfg_hold": False, "mfg_hold_reason": False, "mfg_hold_date": False})
        for lot in self:
            lot.message_post(
                body=_("Released from quality hold: %s", reason or _("no reason given"))
            )
        waiting = self.env["stock.move"].search(
            [
                ("product_id", "in", self.product_id.ids),
                ("state", "in", ("confirmed", "partially_available")),
            ]
        )
        waiting._action_assign()
        emit(self, "stock.lot.released.v1", lambda lot: lot._mfg_lot_payload())

    # ------------------------------------------------------------------
    # Outbound events (emitted by the hold and the release above)
    # ------------------------------------------------------------------

    def _mfg_lot_payload(self):
        ref = self.env["mfg.integration.event"]._ref
        return {
            "lot": ref(self),
            "product": ref(self.product_id),
            "on_hold": self.mfg_hold,
            "reason": self.mfg_hold_reason or None,
        }
