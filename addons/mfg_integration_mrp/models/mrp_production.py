from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.mfg_integration_core.exceptions import StateConflictError
from odoo.addons.mfg_integration_core.write_locks import wait_for_writers

from .events import emit
from .stock_quant import PRODUCT_STOCK

OPEN_PRODUCTION_STATES = ("confirmed", "progress", "to_close")


class MrpProduction(models.Model):
    _inherit = "mrp.production"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------

    mfg_scrapped_qty = fields.Float(
        string="Scrapped (reported)",
        digits="Product Unit of Measure",
        copy=False,
        help="Scrap reported by the shop floor through the integration API.",
    )
    mfg_variance_ids = fields.One2many(
        "mfg.integration.production.variance", "production_id", string="Variances"
    )
    mfg_released = fields.Boolean(copy=False, help="The released event was emitted.")

    # ------------------------------------------------------------------
    # Business methods (what the commands call)
    # ------------------------------------------------------------------

    def _mfg_check_open(self):
        if self.state not in OPEN_PRODUCTION_STATES:
            raise StateConflictError(
                _(
                    "%(mo)s is %(state)s; it takes no more confirmations.",
                    mo=self.name,
                    state=self.state,
                )
            )

    def _mfg_record_confirmation(
        self, produced_qty, finished_lot=None, consumed=None, scrapped_qty=0.0, note=""
    ):
        """Record what the shop floor reports: the quantity produced (and the
        finished lot), the components consumed as [(move, quantity or None,
        [(lot, quantity)])] (else consumption follows the bill of materials),
        and the scrap."""
        self.ensure_one()
        self._mfg_check_open()
        # before the first write: the reservations and quants this changes are
        # the ones other confirmations of these products change too
        self._mfg_wait_for_stock_writers()
        if finished_lot:
            self.lot_producing_id = finished_lot
        elif self.product_id.tracking != "none" and produced_qty:
            raise UserError(_("%s needs a lot or serial.", self.product_id.display_name))
        self.qty_producing = self.qty_producing + produced_qty
        if consumed:
            for move, quantity, lots in consumed:
                move._mfg_report_quantity(quantity, lots, add=True)
        else:
            self._set_qty_producing()
        if scrapped_qty:
            self.mfg_scrapped_qty += scrapped_qty
        if note:
            # an internal note nobody is notified of: logged, not posted (no
            # follower or notification work on the confirmation's path)
            self._message_log(body=note)

    def _mfg_close(self, system=None, correlation_id=None):
        """Mark the order done without backorder; return the variance recorded
        (empty when within tolerance)."""
        self.ensure_one()
        result = self.with_context(
            skip_backorder=True, skip_consumption=True, skip_expired=True
        ).button_mark_done()
        if result is not True and self.state != "done":
            raise UserError(_("%s could not be closed.", self.name))
        return self.env["mfg.integration.production.variance"]._record(
            self, self.qty_produced, self.mfg_scrapped_qty, system, correlation_id
        )

    def _mfg_wait_for_stock_writers(self):
        """Take turns with every other writer of the stock these orders move
        (see stock_quant.py)."""
        moves = self.move_raw_ids | self.move_finished_ids
        products = self.product_id | moves.product_id
        wait_for_writers(self.env.cr, PRODUCT_STOCK, products.ids)

    # ------------------------------------------------------------------
    # Odoo's actions: take turns with the other stock writers, emit the events
    # ------------------------------------------------------------------

    def action_confirm(self):
        self._mfg_wait_for_stock_writers()
        result = super().action_confirm()
        emit(
            self.filtered(lambda p: p.state == "confirmed"),
            "mrp.production.confirmed.v1",
            lambda p: p._mfg_payload(),
        )
        return result

    def button_plan(self):
        result = super().button_plan()
        self._mfg_release()
        return result

    def button_mark_done(self):
        self._mfg_wait_for_stock_writers()
        result = super().button_mark_done()
        done = self.filtered(lambda p: p.state == "done")
        emit(
            done,
            "mrp.production.done.v1",
            lambda p: {
                **p._mfg_payload(),
                "finished_lots": [
                    {
                        "lot": p.env["mfg.integration.event"]._ref(line.lot_id),
                        "quantity": line.quantity,
                    }
                    for line in p.move_finished_ids.move_line_ids.filtered("lot_id")
                ],
                "consumed": [
                    {
                        "product": p.env["mfg.integration.event"]._ref(move.product_id),
                        "quantity": move.quantity,
                    }
                    for move in p.move_raw_ids.filtered(lambda m: m.state == "done")
                ],
            },
        )
        return result

    def action_cancel(self):
        result = super().action_cancel()
        emit(
            self.filtered(lambda p: p.state == "cancel"),
            "mrp.production.cancelled.v1",
            lambda p: p._mfg_payload(),
        )
        return result

    # ------------------------------------------------------------------
    # Outbound events
    # ------------------------------------------------------------------

    def _mfg_payload(self):
        ref = self.env["mfg.integration.event"]._ref
        return {
            "production": ref(self),
            "product": ref(self.product_id),
            "state": self.state,
            "planned_quantity": self.product_qty,
            "produced_quantity": self.qty_produced if self.state == "done" else self.qty_producing,
            "scrapped_quantity": self.mfg_scrapped_qty,
            "unit": self.product_uom_id.name,
            "lot": ref(self.lot_producing_id),
            "date_start": fields.Datetime.to_string(self.date_start) if self.date_start else None,
            "date_deadline": (
                fields.Datetime.to_string(self.date_deadline) if self.date_deadline else None
            ),
            "origin": self.origin or None,
        }

    def _mfg_release(self):
        """Emit the released event once per order: when it is planned or its
        first work order starts."""
        to_release = self.filtered(
            lambda p: not p.mfg_released and p.state not in ("draft", "cancel")
        )
        if to_release:
            to_release.mfg_released = True
            emit(to_release, "mrp.production.released.v1", lambda p: p._mfg_payload())
