from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest
from odoo.addons.mfg_integration_core.exceptions import (
    StateConflictError,
    UnmappedCodeError,
)

ECHO_V1 = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1}},
}
# version 2 renamed "name" to "full_name"
ECHO_V2 = {
    "type": "object",
    "additionalProperties": False,
    "required": ["full_name"],
    "properties": {"full_name": {"type": "string", "minLength": 1}},
}
GREETING = {
    "type": "object",
    "required": ["greeting", "calls"],
    "properties": {"greeting": {"type": "string"}, "calls": {"type": "integer"}},
}
FAIL = {
    "type": "object",
    "required": ["kind"],
    "properties": {"kind": {"enum": ["conflict", "business", "unmapped", "crash"]}},
}
HANDLER = "test.mfg.integration.echo.call"


class TestMfgIntegrationEchoCall(models.Model):
    """What the dummy command did: one row per applied command."""

    _name = "test.mfg.integration.echo.call"
    _description = "Test Echo Call"

    name = fields.Char()
    correlation_id = fields.Char()

    @api.model
    def _command_echo(self, ctx, payload):
        call = self.create({"name": payload["name"], "correlation_id": ctx.correlation_id})
        return CommandResult(
            {"greeting": f"Hello {payload['name']}", "calls": self.search_count([])}, call
        )

    @api.model
    def _command_fail(self, ctx, payload):
        # a change first: the pipeline's savepoint must take it back
        self.create({"name": f"failing {payload['kind']}"})
        if payload["kind"] == "conflict":
            raise StateConflictError("The echo is closed.", reference="ECHO-1")
        if payload["kind"] == "unmapped":
            raise UnmappedCodeError(
                "MES-01 sent colour 'RED', which has no mapping.",
                system="MES-01",
                kind="colour",
                value="RED",
            )
        if payload["kind"] == "crash":
            raise RuntimeError("an unexpected error of the handler")
        raise UserError(self.env._("Echoes are not allowed today."))


class MfgIntegrationCommand(models.AbstractModel):
    _inherit = "mfg.integration.command"

    @api.model
    def _mfg_commands(self):
        return super()._mfg_commands() + [
            Command(
                name="test.echo",
                handler=f"{HANDLER}:_command_echo",
                rest=Rest("POST", "/test/echo", operation="test_echo"),
                summary="Greet",
                scope="mapping:read",
                request_schema=ECHO_V1,
                response_schema=GREETING,
            ),
            Command(
                name="test.echo",
                version=2,
                handler=f"{HANDLER}:_command_echo",
                rest=Rest("POST", "/test/v2/echo", operation="test_echo_v2"),
                summary="Greet, by full name",
                scope="mapping:read",
                request_schema=ECHO_V2,
                response_schema=GREETING,
                upgrade=lambda payload: {"name": payload["full_name"]},
            ),
            Command(
                name="test.fail",
                handler=f"{HANDLER}:_command_fail",
                summary="Fail in a typed way",
                scope="mapping:read",
                request_schema=FAIL,
            ),
        ]
