"""Work orders: the MES starts, pauses, resumes and finishes operations."""

from odoo import _, api, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest

from ..schemas import TIMESTAMP, answer

WORK_ORDER_EVENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["event"],
    "properties": {
        "event": {"enum": ["start", "pause", "resume", "finish"]},
        "operator": {"type": "string", "maxLength": 128},
        "at": TIMESTAMP,
        "source_timestamp": TIMESTAMP,
    },
}

WORK_ORDER_STATUS = answer(
    {"id": {"type": "string"}, "reference": {"type": "string"}, "status": {"type": "string"}},
    ["id", "reference", "status"],
)

HANDLERS = "mfg.integration.mrp.inbound"


COMMANDS = [
    Command(
        name="work_order.event",
        handler=f"{HANDLERS}:_command_work_order_event",
        subject="id",
        rest=Rest(
            "POST", "/work-orders/{id}/events", operation="work_order_event", tag="Production"
        ),
        scope="production:write",
        summary="Start, pause, resume or finish a work order",
        request_schema=WORK_ORDER_EVENT,
        response_schema=WORK_ORDER_STATUS,
        example={"event": "start", "operator": "J. Doe"},
    ),
]


class MfgIntegrationMrpInbound(models.AbstractModel):
    _inherit = "mfg.integration.mrp.inbound"

    @api.model
    def _command_work_order_event(self, ctx, body, id):
        workorder = ctx.resolve_subject("workorder", id)
        ctx.check_stale("workorder", workorder, body.get("source_timestamp"))
        event = body["event"]
        workorder._mfg_apply_event(event)
        if body.get("operator"):
            workorder.production_id.message_post(
                body=_(
                    "%(op)s: work order %(wo)s %(event)s",
                    op=body["operator"],
                    wo=workorder.name,
                    event=event,
                )
            )
        return CommandResult(
            {"id": id, "reference": workorder.display_name, "status": workorder.state}, workorder
        )
