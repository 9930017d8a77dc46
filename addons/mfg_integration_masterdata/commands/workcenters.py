"""Work centers: capacity, efficiency and costs, upserted by the system's code."""

from odoo import api, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest

from ..schemas import EXTERNAL_ID, NAME, answer
from .common import wait_for_writers_of

WORK_CENTER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "name"],
    "properties": {
        "code": {
            **EXTERNAL_ID,
            "description": "Your work center code (cross-reference 'workcenter').",
        },
        "name": NAME,
        "capacity": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e6},
        "time_efficiency": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1000,
            "description": "Percent: 100 runs operations in their nominal time.",
        },
        "costs_per_hour": {"type": "number", "minimum": 0, "maximum": 1e9},
        "setup_minutes": {"type": "number", "minimum": 0, "maximum": 1e6},
        "cleanup_minutes": {"type": "number", "minimum": 0, "maximum": 1e6},
        "active": {"type": "boolean", "default": True},
    },
}

WORK_CENTER_RESULT = answer(
    {"code": {"type": "string"}, "reference": {"type": "string"}, "created": {"type": "boolean"}},
    ["code", "reference", "created"],
)

# payload field: mrp.workcenter field
WORK_CENTER_FIELDS = {
    "name": "name",
    "capacity": "default_capacity",
    "time_efficiency": "time_efficiency",
    "costs_per_hour": "costs_hour",
    "setup_minutes": "time_start",
    "cleanup_minutes": "time_stop",
    "active": "active",
}

HANDLERS = "mfg.integration.masterdata.inbound"

COMMANDS = [
    Command(
        name="workcenter.upsert",
        handler=f"{HANDLERS}:_command_upsert_workcenter",
        rest=Rest(
            "POST", "/masterdata/work-centers", operation="upsert_workcenter", tag="Master data"
        ),
        scope="masterdata:write",
        summary="Create or update a work center by your code: capacity, efficiency, costs",
        request_schema=WORK_CENTER,
        response_schema=WORK_CENTER_RESULT,
        latency_class="near-real-time",
        example={
            "code": "WC-ASSY",
            "name": "Assembly line 1",
            "capacity": 2,
            "time_efficiency": 95,
            "costs_per_hour": 80,
        },
    ),
]


class MfgIntegrationMasterdataInbound(models.AbstractModel):
    _inherit = "mfg.integration.masterdata.inbound"

    @api.model
    def _command_upsert_workcenter(self, ctx, body):
        return self._upsert_workcenter(ctx, body)

    def _upsert_workcenter(self, ctx, body, at=""):
        values = {field: body[key] for key, field in WORK_CENTER_FIELDS.items() if key in body}
        wait_for_writers_of(self.env, "masterdata.workcenter", ctx._system_required(), body["code"])
        workcenter = self._find(ctx, "workcenter", body["code"])
        created = not workcenter
        if created:
            workcenter = self.env["mrp.workcenter"].create({**values, "code": body["code"]})
            ctx.register("workcenter", body["code"], workcenter)
        else:
            workcenter.with_context(active_test=False).write(values)
        workcenter._mfg_emit_changed(body["code"], created)
        return CommandResult(
            {"code": body["code"], "reference": workcenter.display_name, "created": created},
            workcenter,
        )
