from odoo import _, api, models
from odoo.exceptions import UserError


class StockMove(models.Model):
    _inherit = "stock.move"

    # ------------------------------------------------------------------
    # Business methods (what the commands call)
    # ------------------------------------------------------------------

    def _mfg_set_lot_lines(self, lot_quantities):
        """Replace the move's lines by one line per (lot, quantity)."""
        self.ensure_one()
        self.move_line_ids.unlink()
        for lot, quantity in lot_quantities:
            self.env["stock.move.line"].create(
                self._prepare_move_line_vals(quantity=quantity) | {"lot_id": lot.id}
            )

    def _mfg_report_quantity(self, quantity, lot_quantities=None, add=False, replace=False):
        """Record what was really moved, by lot or as a quantity, and mark the
        move picked.

        :param add: add the quantity to what was reported before
        :param replace: drop the reserved lines first (the report is the truth)
        """
        self.ensure_one()
        if lot_quantities:
            self._mfg_set_lot_lines(lot_quantities)
        else:
            if replace:
                self.move_line_ids.unlink()
            self.quantity = self.quantity + quantity if add and self.picked else quantity
        self.picked = True

    @api.model
    def _mfg_move_now(
        self, product, quantity, source, destination, lot=None, name=None, origin=None
    ):
        """Move a quantity (in the product's unit) between two locations at once."""
        move = self.create(
            {
                "name": name or origin or _("Movement"),
                "product_id": product.id,
                "product_uom": product.uom_id.id,
                "product_uom_qty": quantity,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "origin": origin,
                "company_id": self.env.company.id,
            }
        )
        move._action_confirm()
        move._action_assign()
        move.move_line_ids.unlink()
        self.env["stock.move.line"].create(
            move._prepare_move_line_vals(quantity=quantity) | {"lot_id": lot.id if lot else False}
        )
        move.picked = True
        move._action_done()
        if move.state != "done":
            raise UserError(_("The movement of %s could not be applied.", product.display_name))
        return move
