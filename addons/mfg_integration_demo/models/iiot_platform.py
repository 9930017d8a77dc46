"""IIOT-01, the plant's IIoT platform: its client is approved with the others."""

from odoo import models


class MfgIntegrationDemo(models.AbstractModel):
    _inherit = "mfg.integration.demo"

    def _approve_clients(self):
        super()._approve_clients()
        # submitted by the consultant, approved by the administrator, as the others
        client = self._ref("client_iiot")
        if client.state == "draft":
            client.with_user(self._ref("user_consultant")).action_submit()
        if client.state == "submitted":
            client.with_user(self.env.ref("base.user_admin")).action_approve()
