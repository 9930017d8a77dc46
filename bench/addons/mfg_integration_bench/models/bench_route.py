from odoo import api, models

from odoo.addons.mfg_integration_api.commands import Command
from odoo.addons.mfg_integration_api.routing import ApiRoute


class MfgIntegrationCommand(models.AbstractModel):
    _inherit = "mfg.integration.command"

    @api.model
    def _mfg_commands(self):
        return super()._mfg_commands() + [
            Command(
                name="bench.echo",
                handler="mfg.integration.api:_bench_echo",
                summary="Benchmark: the framework around a trivial business action",
                scope="production:read",
                request_schema={
                    "type": "object",
                    "required": ["n"],
                    "properties": {"n": {"type": "integer"}},
                },
            )
        ]


class MfgIntegrationApi(models.AbstractModel):
    _inherit = "mfg.integration.api"

    @api.model
    def _api_routes(self):
        return super()._api_routes() + [
            ApiRoute(
                name="bench_echo",
                method="POST",
                path="/bench/echo",
                command="bench.echo",
                tag="Benchmark",
            )
        ]

    @api.model
    def _bench_echo(self, ctx, body):
        return {"ok": True, "echo": body}
