from odoo import api, models

from ..commands import FLOWS


class MfgIntegrationCommand(models.AbstractModel):
    _inherit = "mfg.integration.command"

    @api.model
    def _mfg_commands(self):
        return super()._mfg_commands() + [command for flow in FLOWS for command in flow.COMMANDS]
