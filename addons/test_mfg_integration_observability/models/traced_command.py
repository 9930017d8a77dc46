"""A command that changes a record and emits an event: one request whose trace
goes through every hop (request, apply, emit, job, delivery)."""

from odoo import api, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest

EVENT_TYPE = "test.observability.traced.v1"
TRACED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1}},
}


class TestMfgIntegrationEchoCall(models.Model):
    _inherit = "test.mfg.integration.echo.call"

    @api.model
    def _command_traced(self, ctx, payload):
        call = self.create({"name": payload["name"], "correlation_id": ctx.correlation_id})
        event = self.env["mfg.integration.event"]._emit(EVENT_TYPE, call, {"name": call.name})
        return CommandResult({"name": call.name, "event": event.event_uid}, call)


class MfgIntegrationCommand(models.AbstractModel):
    _inherit = "mfg.integration.command"

    @api.model
    def _mfg_commands(self):
        return super()._mfg_commands() + [
            Command(
                name="test.traced",
                handler="test.mfg.integration.echo.call:_command_traced",
                rest=Rest("POST", "/test/traced", operation="test_traced"),
                summary="Record a call and emit an event",
                scope="mapping:read",
                request_schema=TRACED,
            ),
        ]
