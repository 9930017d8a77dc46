from odoo import api, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest

THING = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1}, "step": {"type": "integer"}},
}
EVENT_TYPE = "test.outbox.thing.happened.v1"


class TestMfgIntegrationEchoCall(models.Model):
    _inherit = "test.mfg.integration.echo.call"

    @api.model
    def _command_record_thing(self, ctx, payload):
        """A change and its event in one transaction: what the broker's fault
        tests count on both sides."""
        call = self.create({"name": payload["name"], "correlation_id": ctx.correlation_id})
        self.env["mfg.integration.event"]._emit(
            EVENT_TYPE, call, {"step": payload.get("step", 0)}, subject=f"thing/{call.name}"
        )
        return CommandResult({"id": call.id}, call)


class MfgIntegrationCommand(models.AbstractModel):
    _inherit = "mfg.integration.command"

    @api.model
    def _mfg_commands(self):
        return super()._mfg_commands() + [
            Command(
                name="test.thing.record",
                handler="test.mfg.integration.echo.call:_command_record_thing",
                rest=Rest("POST", "/test/things", operation="test_thing_record"),
                summary="Record a thing and emit its event",
                scope="mapping:read",
                request_schema=THING,
                response_schema={
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "integer"}},
                },
            ),
        ]
