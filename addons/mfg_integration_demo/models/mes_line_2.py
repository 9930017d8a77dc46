"""MES-02 (line 2) names the operations of the orders it creates.

The MES that runs line 2 numbers each operation of an order `<order id>-<10,
20, ...>` (e.g. `L2-4711-10`, `L2-4711-20`) and sends its work order events
with those ids. When MES-02 creates an order, the plant records them as
identifier links of its work orders, in the same transaction, and the answer
lists them: MES-02 reads its operation ids back from the reply. (MES-01's work
orders are cross-referenced by a consultant instead.)
"""

from odoo import api, models

from odoo.addons.mfg_integration_command.commands import CommandResult


class MfgIntegrationMrpInbound(models.AbstractModel):
    _inherit = "mfg.integration.mrp.inbound"

    @api.model
    def _command_create_production_order(self, ctx, body):
        result = super()._command_create_production_order(ctx, body)
        line_2 = self.env.ref("mfg_integration_demo.system_mes_02", raise_if_not_found=False)
        if not line_2 or ctx.system != line_2:
            return result
        production = result.record
        for index, workorder in enumerate(production.workorder_ids, start=1):
            ctx.register("workorder", f"{body['id']}-{index * 10}", workorder)
        return CommandResult(self._production_to_api(ctx, production), production)
