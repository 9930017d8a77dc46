from odoo import _, models

from odoo.addons.mfg_integration_core.exceptions import StateConflictError

from .events import emit


class MrpWorkorder(models.Model):
    _inherit = "mrp.workorder"

    # which states each shop-floor event may start from
    MFG_EVENT_STATES = {
        "start": ("pending", "waiting", "ready"),
        "pause": ("progress",),
        "resume": ("pending", "waiting", "ready", "progress"),
        "finish": ("ready", "progress", "pending", "waiting"),
    }

    # ------------------------------------------------------------------
    # Business methods (what the commands call)
    # ------------------------------------------------------------------

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

    # ------------------------------------------------------------------
    # Outbound events
    # ------------------------------------------------------------------

    def _mfg_emit(self, type_name):
        ref = self.env["mfg.integration.event"]._ref
        emit(
            self,
            type_name,
            lambda w: {
                "workorder": ref(w),
                "production": ref(w.production_id),
                "work_center": ref(w.workcenter_id),
                "state": w.state,
                "duration_minutes": round(w.duration, 2),
            },
        )

    def button_start(self, raise_on_invalid_state=False):
        result = super().button_start(raise_on_invalid_state=raise_on_invalid_state)
        self._mfg_emit("mrp.workorder.started.v1")
        self.production_id._mfg_release()
        return result

    def button_pending(self):
        result = super().button_pending()
        self._mfg_emit("mrp.workorder.paused.v1")
        return result

    def button_finish(self):
        running = self.filtered(lambda w: w.state not in ("done", "cancel"))
        result = super().button_finish()
        running._mfg_emit("mrp.workorder.done.v1")
        return result
