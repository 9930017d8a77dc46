from odoo import api, models

from odoo.addons.mfg_integration_command.commands import Command, Rest


class MfgIntegrationCommand(models.AbstractModel):
    _inherit = "mfg.integration.command"

    @api.model
    def _mfg_commands(self):
        return super()._mfg_commands() + [
            Command(
                name="bench.echo",
                handler="mfg.integration.command:_bench_echo",
                rest=Rest("POST", "/bench/echo", operation="bench_echo", tag="Benchmark"),
                summary="Benchmark: the framework around a trivial business action",
                scope="production:read",
                request_schema={
                    "type": "object",
                    "required": ["n"],
                    "properties": {"n": {"type": "integer"}},
                },
            )
        ]

    @api.model
    def _bench_echo(self, ctx, body):
        return {"ok": True, "echo": body}

    def init(self):
        # what the durable bare controller writes: one row per request, nothing else
        self.env.cr.execute(
            "CREATE TABLE IF NOT EXISTS mfg_integration_bench_received "
            "(id serial PRIMARY KEY, body text NOT NULL)"
        )
