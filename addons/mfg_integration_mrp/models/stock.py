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

    @api.model
    def _mfg_apply_count(self, product, location, lot, quantity):
        """Set the counted quantity of a product (and lot) loose in a location
        (in no package, of no owner); return the quantity Odoo had before and
        the quant that holds it now.

        The stock may be split over several quants there (moves in at
        different dates): the count is their total, so the first one takes
        the counted quantity and the others are emptied."""
        Quant = self.with_context(inventory_mode=True)
        quants = Quant.search(
            [
                ("product_id", "=", product.id),
                ("location_id", "=", location.id),
                ("lot_id", "=", lot.id if lot else False),
                ("package_id", "=", False),
                ("owner_id", "=", False),
            ],
            order="id",
        )
        on_hand = sum(quants.mapped("quantity"))
        if quants:
            quant = quants[0]
            quant.inventory_quantity = quantity
            (quants - quant).inventory_quantity = 0
        else:
            quants = quant = Quant.create(
                {
                    "product_id": product.id,
                    "location_id": location.id,
                    "lot_id": lot.id if lot else False,
                    "inventory_quantity": quantity,
                }
            )
        quants.action_apply_inventory()
        return on_hand, quant


class StockMove(models.Model):
    _inherit = "stock.move"

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

    def _mfg_validate_without_backorder(self):
        """Validate what was reported; what is missing gets no backorder."""
        return self.with_context(
            skip_backorder=True, picking_ids_not_to_backorder=[], skip_sms=True
        ).button_validate()
