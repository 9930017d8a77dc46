from odoo import _, models
from odoo.exceptions import UserError

from odoo.addons.mfg_integration_core.exceptions import StateConflictError

OPEN_PRODUCTION_STATES = ("confirmed", "progress", "to_close")


class MrpProduction(models.Model):
    _inherit = "mrp.production"

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


class MrpWorkorder(models.Model):
    _inherit = "mrp.workorder"

    # which states each shop-floor event may start from
    MFG_EVENT_STATES = {
        "start": ("pending", "waiting", "ready"),
        "pause": ("progress",),
        "resume": ("pending", "waiting", "ready", "progress"),
        "finish": ("ready", "progress", "pending", "waiting"),
    }

    def _set_qty_producing(self):
        if self.env.context.get("mfg_keep_qty_producing"):
            return
        return super()._set_qty_producing()

    def _mfg_apply_event(self, event):
        """Start, pause, resume or finish the work order."""
        self.ensure_one()
        if self.state not in self.MFG_EVENT_STATES[event]:
            raise StateConflictError(
                _(
                    "%(wo)s is %(state)s: cannot %(event)s.",
                    wo=self.display_name,
                    state=self.state,
                    event=event,
                )
            )
        if event in ("start", "resume"):
            # a started operation has produced nothing yet: what was produced is
            # what the MES confirms (each confirmation adds to it), not the whole
            # remaining quantity that Odoo presumes when an operation starts
            self.with_context(mfg_keep_qty_producing=True).button_start()
            self.invalidate_recordset(["qty_producing"])
        elif event == "pause":
            self.button_pending()
        else:
            self.button_finish()
