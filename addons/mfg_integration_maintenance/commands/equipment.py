"""Equipment: a machine (or its IIoT platform) reports its state, its alarms
and the parts it made."""

from datetime import datetime, timedelta

from odoo import api, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest
from odoo.addons.mfg_integration_command.context import parse_timestamp
from odoo.addons.mfg_integration_command.problems import CommandProblem
from odoo.addons.mfg_integration_mrp.schemas import CODE, TIMESTAMP, answer

# a machine clock ahead of Odoo's by more than this sends states "from the future"
CLOCK_SKEW = timedelta(minutes=5)

# unknown: nobody hears the machine (its gateway's Sparkplug death certificate):
# its time counts neither as running nor as lost until it reports again
MACHINE_STATES = ["running", "idle", "setup", "down", "unknown"]

EQUIPMENT_STATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["state", "at"],
    "properties": {
        "state": {"enum": MACHINE_STATES},
        "reason": CODE,
        "text": {"type": "string", "maxLength": 512},
        "at": TIMESTAMP,
    },
}

EQUIPMENT_ALARM = {
    "type": "object",
    "additionalProperties": False,
    "required": ["event", "code", "at"],
    "properties": {
        "event": {"enum": ["raised", "cleared"]},
        "code": CODE,
        "severity": {"type": "integer", "minimum": 0, "maximum": 1000},
        "text": {"type": "string", "maxLength": 512},
        "at": TIMESTAMP,
    },
}

EQUIPMENT_COUNTERS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["good", "rejected", "at"],
    "properties": {
        # parts since the last report: a count that goes backwards is refused
        "good": {"type": "integer", "minimum": 0, "maximum": 1000000000},
        "rejected": {"type": "integer", "minimum": 0, "maximum": 1000000000},
        "at": TIMESTAMP,
    },
}

EQUIPMENT_STATUS = answer(
    {
        "id": {"type": "string"},
        "equipment": {"type": "string"},
        "state": {"type": "string"},
        "work_center": {"type": ["string", "null"]},
        "maintenance_request": {"type": ["integer", "null"]},
        "good": {"type": "integer"},
        "rejected": {"type": "integer"},
    },
    ["id", "equipment", "state"],
)

HANDLERS = "mfg.integration.maintenance.inbound"


COMMANDS = [
    Command(
        name="equipment.state",
        handler=f"{HANDLERS}:_command_equipment_state",
        subject="id",
        rest=Rest("POST", "/equipment/{id}/state", operation="equipment_state", tag="Maintenance"),
        scope="equipment:write",
        summary="Report a machine's state (running, idle, setup, down with a reason, unknown)",
        request_schema=EQUIPMENT_STATE,
        response_schema=EQUIPMENT_STATUS,
        example={"state": "down", "reason": "E-SPINDLE", "at": "2026-01-05T08:00:00Z"},
    ),
    Command(
        name="equipment.alarm",
        handler=f"{HANDLERS}:_command_equipment_alarm",
        subject="id",
        rest=Rest("POST", "/equipment/{id}/alarms", operation="equipment_alarm", tag="Maintenance"),
        scope="equipment:write",
        summary="Report an alarm raised or cleared on a machine",
        request_schema=EQUIPMENT_ALARM,
        response_schema=EQUIPMENT_STATUS,
        example={
            "event": "raised",
            "code": "A-TEMP",
            "severity": 800,
            "text": "Spindle over temperature",
            "at": "2026-01-05T08:00:00Z",
        },
    ),
    Command(
        name="equipment.counters",
        handler=f"{HANDLERS}:_command_equipment_counters",
        subject="id",
        rest=Rest(
            "POST", "/equipment/{id}/counters", operation="equipment_counters", tag="Maintenance"
        ),
        scope="equipment:write",
        summary="Report the good and rejected parts a machine made since its last report",
        request_schema=EQUIPMENT_COUNTERS,
        response_schema=EQUIPMENT_STATUS,
        latency_class="near-real-time",
        summed=("good", "rejected"),
        example={"good": 12, "rejected": 1, "at": "2026-01-05T08:00:10Z"},
    ),
]


class MfgIntegrationMaintenanceInbound(models.AbstractModel):
    _name = "mfg.integration.maintenance.inbound"
    _description = "Equipment Command Handlers"

    def _equipment(self, ctx, external_id):
        return ctx.resolve_subject("equipment", external_id)

    def _reported_at(self, body, last_applied):
        """When the machine says it happened: not ahead of Odoo's clock, not
        before what was applied last for the same stream."""
        when = parse_timestamp(body["at"], "/at")
        if when > datetime.utcnow() + CLOCK_SKEW:
            raise CommandProblem(
                "validation-error",
                f"The report is from the future ({body['at']}): check the machine's clock.",
                errors=[{"pointer": "/at", "detail": "later than Odoo's clock allows"}],
            )
        if last_applied and when <= last_applied:
            raise CommandProblem(
                "conflict",
                f"A report of {last_applied.isoformat()}Z or later was applied already.",
                errors=[{"pointer": "/at", "detail": "not later than the last applied report"}],
            )
        return when

    def _status(self, external_id, equipment, request=None, **extra):
        return CommandResult(
            {
                "id": external_id,
                "equipment": equipment.display_name,
                "state": equipment.mfg_machine_state,
                "work_center": equipment.mfg_workcenter_id.display_name or None,
                "maintenance_request": request.id if request else None,
                **extra,
            },
            request or equipment,
        )

    @api.model
    def _command_equipment_state(self, ctx, body, id):
        equipment = self._equipment(ctx, id)
        when = self._reported_at(body, equipment.mfg_state_at)
        state = body["state"]
        reason = body.get("reason")
        loss = None
        if state == "down" and reason:
            loss = ctx.map_in_record("equipment.stop_reason", reason, "/reason")
        equipment._mfg_apply_state(state, when, loss=loss, reason=reason)
        request = None
        if loss:
            request = equipment._mfg_raise(
                reason, body.get("text") or loss.name, when, severity=None
            )
        return self._status(id, equipment, request)

    @api.model
    def _command_equipment_alarm(self, ctx, body, id):
        equipment = self._equipment(ctx, id)
        # alarms keep their order per equipment (a clear never before its raise)
        when = self._reported_at(body, equipment.mfg_alarm_at)
        equipment.mfg_alarm_at = when
        if body["event"] == "raised":
            request = equipment._mfg_raise(
                body["code"], body.get("text") or body["code"], when, body.get("severity", 0)
            )
        else:
            request = equipment._mfg_clear(body["code"], when)
        return self._status(id, equipment, request)

    @api.model
    def _command_equipment_counters(self, ctx, body, id):
        equipment = self._equipment(ctx, id)
        when = self._reported_at(body, equipment.mfg_counter_at)
        count = equipment._mfg_count(body["good"], body["rejected"], when)
        return self._status(id, equipment, good=count.good_qty, rejected=count.rejected_qty)
