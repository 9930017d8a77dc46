from odoo import _, fields, models

from odoo.addons.mfg_integration_core.write_locks import wait_for_writers

MACHINE_STATES = [
    ("unknown", "Unknown"),
    ("running", "Running"),
    ("idle", "Idle"),
    ("setup", "Setup"),
    ("down", "Down"),
]
# the productivity loss of each state when the machine gives no reason
# (idle: the work center is not in use, which Odoo records as no time row)
STATE_LOSSES = {
    "running": "mrp.block_reason7",
    "setup": "mrp.block_reason2",
    "down": "mrp.block_reason1",
}


class MaintenanceEquipment(models.Model):
    _inherit = "maintenance.equipment"

    mfg_workcenter_id = fields.Many2one(
        "mrp.workcenter",
        string="Work Center",
        check_company=True,
        index=True,
        tracking=True,
        help="The work center this machine is: its states become the work center's "
        "productivity time and block its work orders.",
    )
    mfg_machine_state = fields.Selection(
        MACHINE_STATES, string="Machine State", default="unknown", readonly=True, copy=False
    )
    mfg_state_at = fields.Datetime(
        string="State Since", readonly=True, copy=False, help="When the machine reported it."
    )
    mfg_alarm_at = fields.Datetime(string="Last Alarm Report", readonly=True, copy=False)
    mfg_counter_at = fields.Datetime(string="Last Count Report", readonly=True, copy=False)
    mfg_count_ids = fields.One2many("mfg.integration.equipment.count", "equipment_id")

    # ------------------------------------------------------------------
    # Business methods (what the commands call)
    # ------------------------------------------------------------------
    def _mfg_lock(self):
        """Reports of one machine take turns (one open request per alarm code)."""
        wait_for_writers(self.env.cr, "maintenance.equipment", self.ids)

    def _mfg_state_loss(self, state):
        xmlid = STATE_LOSSES.get(state)
        return self.env.ref(xmlid).sudo() if xmlid else None

    def _mfg_apply_state(self, state, when, loss=None, reason=None):
        """The machine is in `state` since `when`: its open productivity time
        ends there, a new one starts with the state's loss, and the work
        orders of its work center stop while it is blocked."""
        self.ensure_one()
        self._mfg_lock()
        previous = self.mfg_machine_state
        self.write({"mfg_machine_state": state, "mfg_state_at": when})
        workcenter = self.mfg_workcenter_id
        Productivity = self.env["mrp.workcenter.productivity"]
        Productivity.search([("mfg_equipment_id", "=", self.id), ("date_end", "=", False)]).write(
            {"date_end": when}
        )
        loss = loss or self._mfg_state_loss(state)
        if workcenter and loss:
            if loss.loss_type not in ("productive", "performance"):
                # as Odoo's own Block button does: running timers end
                workcenter.order_ids.filtered(lambda w: w.state == "progress").end_all()
            Productivity.create(
                {
                    "workcenter_id": workcenter.id,
                    "loss_id": loss.id,
                    "date_start": when,
                    "description": _("Machine %(name)s: %(state)s", name=self.name, state=state)
                    + (f" ({reason})" if reason else ""),
                    "mfg_equipment_id": self.id,
                    "company_id": workcenter.company_id.id,
                }
            )
        self._mfg_emit_state(previous, reason, loss)

    def _mfg_raise(self, code, text, when, severity):
        """An alarm (or a stop with a reason: severity None) on the machine:
        the open request of that code counts it again, else a new request
        opens if the category's rule says it is severe enough. Returns the
        request, or None."""
        self.ensure_one()
        self._mfg_lock()
        rule = self.env["mfg.integration.maintenance.rule"]._for_equipment(self)
        if severity is not None and (not rule or severity < rule.min_severity):
            return None
        request = self._mfg_open_request(code)
        if request:
            request.mfg_occurrences += 1
            request.message_post(
                body=_("%(code)s again at %(at)s UTC: %(text)s", code=code, at=when, text=text)
            )
            return request
        values = {
            "name": f"{self.name}: {text}"[:256],
            "equipment_id": self.id,
            "mfg_alarm_code": code,
            "mfg_alarm_since": when,
            "mfg_occurrences": 1,
            "maintenance_type": "corrective",
            "request_date": when.date(),
            "description": text,
            "company_id": self.company_id.id or self.env.company.id,
        }
        team = rule.team_id or self.maintenance_team_id
        if team:
            values["maintenance_team_id"] = team.id
        if rule:
            values["priority"] = rule.priority
        return self.env["maintenance.request"].create(values)

    def _mfg_clear(self, code, when):
        """The alarm is gone: say so on its open request (the team closes it)."""
        self.ensure_one()
        self._mfg_lock()
        request = self._mfg_open_request(code)
        if request:
            request.mfg_alarm_cleared_at = when
            request.message_post(
                body=_("%(code)s cleared by the machine at %(at)s UTC.", code=code, at=when)
            )
        return request or None

    def _mfg_open_request(self, code):
        return self.env["maintenance.request"].search(
            [
                ("equipment_id", "=", self.id),
                ("mfg_alarm_code", "=", code),
                ("stage_id.done", "=", False),
                ("archive", "=", False),
            ],
            order="id",
            limit=1,
        )

    def _mfg_count(self, good, rejected, when):
        """The parts made since the last count report: one count row."""
        self.ensure_one()
        self._mfg_lock()
        start = self.mfg_counter_at or self.mfg_state_at or when
        self.mfg_counter_at = when
        return self.env["mfg.integration.equipment.count"].create(
            {
                "equipment_id": self.id,
                "workcenter_id": self.mfg_workcenter_id.id,
                "date_start": min(start, when),
                "date_end": when,
                "good_qty": good,
                "rejected_qty": rejected,
                "company_id": self.company_id.id or self.env.company.id,
            }
        )

    # ------------------------------------------------------------------
    # Outbound events
    # ------------------------------------------------------------------
    def _mfg_emit_state(self, previous, reason, loss):
        Event = self.env["mfg.integration.event"]
        data = {
            "equipment": Event._ref(self),
            "work_center": Event._ref(self.mfg_workcenter_id),
            "state": self.mfg_machine_state,
            "previous_state": previous or "unknown",
            "reason": reason or None,
            "loss": loss.name if loss else None,
            "loss_type": loss.loss_type if loss else None,
            "at": fields.Datetime.to_string(self.mfg_state_at),
        }
        Event._emit(
            "mrp.workcenter.state_changed.v1",
            self,
            data,
            subject=f"maintenance.equipment/{self.name}",
        )
