"""Work orders: the MES starts, pauses, resumes and finishes operations."""

from odoo import _, api, models

from odoo.addons.mfg_integration_api.commands import Command, CommandResult
from odoo.addons.mfg_integration_api.routing import ApiRoute

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


class MfgIntegrationCommand(models.AbstractModel):
    _inherit = "mfg.integration.command"

    @api.model
    def _mfg_commands(self):
        return super()._mfg_commands() + [
            Command(
                name="work_order.event",
                handler=f"{HANDLERS}:_command_work_order_event",
                scope="production:write",
                summary="Start, pause, resume or finish a work order",
                request_schema=WORK_ORDER_EVENT,
                response_schema=WORK_ORDER_STATUS,
                maps=("workorder",),
                example={"event": "start", "operator": "J. Doe"},
            ),
        ]


class MfgIntegrationApi(models.AbstractModel):
    _inherit = "mfg.integration.api"

    @api.model
    def _api_routes(self):
        return super()._api_routes() + [
            ApiRoute(
                name="work_order_event",
                method="POST",
                path="/work-orders/{id}/events",
                command="work_order.event",
                tag="Production",
            ),
        ]


class MfgIntegrationMrpInbound(models.AbstractModel):
    _inherit = "mfg.integration.mrp.inbound"

    @api.model
    def _command_work_order_event(self, ctx, body, id):
        workorder = ctx.resolve("workorder", id, None, not_found_status=True)
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
