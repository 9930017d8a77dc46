from odoo import models

from .events import emit, ref


class MrpWorkcenter(models.Model):
    _inherit = "mrp.workcenter"

    # ------------------------------------------------------------------
    # Outbound events
    # ------------------------------------------------------------------
    def _mfg_emit_changed(self, code, created):
        self.ensure_one()
        return emit(
            self,
            "masterdata.workcenter.changed.v1",
            {
                "workcenter": ref(self),
                "code": code,
                "name": self.name,
                "capacity": self.default_capacity,
                "time_efficiency": self.time_efficiency,
                "costs_per_hour": self.costs_hour,
                "setup_minutes": self.time_start,
                "cleanup_minutes": self.time_stop,
                "active": self.active,
                "created": created,
            },
        )
