from odoo import api, fields, models


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    mfg_alarm_code = fields.Char(
        string="Alarm Code",
        index=True,
        readonly=True,
        copy=False,
        help="The machine's alarm or stop reason: its repeats count on this request "
        "until the request is done.",
    )
    mfg_alarm_since = fields.Datetime(string="Alarm Since", readonly=True, copy=False)
    mfg_alarm_cleared_at = fields.Datetime(
        string="Alarm Cleared", readonly=True, copy=False, tracking=True
    )
    mfg_occurrences = fields.Integer(string="Occurrences", readonly=True, copy=False)

    # ------------------------------------------------------------------
    # Outbound events
    # ------------------------------------------------------------------
    def _mfg_emit(self, type_name):
        Event = self.env["mfg.integration.event"]
        for request in self:
            Event._emit(
                type_name,
                request,
                {
                    "request": Event._ref(request),
                    "equipment": Event._ref(request.equipment_id),
                    "work_center": Event._ref(request.equipment_id.mfg_workcenter_id),
                    "alarm_code": request.mfg_alarm_code or None,
                    "maintenance_type": request.maintenance_type,
                    "priority": request.priority or "0",
                    "team": request.maintenance_team_id.name or None,
                    "stage": request.stage_id.name or None,
                    "occurrences": request.mfg_occurrences,
                },
                subject=f"maintenance.request/{request.id}",
            )

    @api.model_create_multi
    def create(self, vals_list):
        requests = super().create(vals_list)
        requests._mfg_emit("maintenance.request.created.v1")
        requests.filtered("stage_id.done")._mfg_emit("maintenance.request.done.v1")
        return requests

    def write(self, vals):
        if "stage_id" not in vals:
            return super().write(vals)
        open_before = self.filtered(lambda r: not r.stage_id.done)
        result = super().write(vals)
        open_before.filtered("stage_id.done")._mfg_emit("maintenance.request.done.v1")
        return result
