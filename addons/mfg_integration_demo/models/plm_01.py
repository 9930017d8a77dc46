"""PLM-01 in the demo plant: its client approved with four eyes, its key
issued with the others', and MES-01 told of every BoM release."""

from odoo import _, api, models

BOM_RELEASED = "masterdata.bom.released.v1"


class MfgIntegrationDemo(models.AbstractModel):
    _inherit = "mfg.integration.demo"

    @api.model
    def _prepare_plm(self):
        """Called at install and update; does each thing once."""
        client = self._ref("client_plm")
        if client.state == "draft":
            client.with_user(self._ref("user_consultant")).action_submit()
        if client.state == "submitted":
            client.with_user(self.env.ref("base.user_admin")).action_approve()
        endpoint = self._ref("endpoint_mes")
        subscribed = [name.strip() for name in (endpoint.event_types or "").split(",")]
        if BOM_RELEASED not in subscribed:
            endpoint.event_types = ",".join([*filter(None, subscribed), BOM_RELEASED])

    @api.model
    def issue_credentials(self, receiver_url, amqp_url=None):
        credentials = super().issue_credentials(receiver_url, amqp_url=amqp_url)
        client = self.sudo()._ref("client_plm")
        client.key_ids._revoke(_("demo restarted"))
        _key, secret = self.env["mfg.integration.api.key"].sudo()._issue(client)
        credentials["keys"][client.system_id.code] = secret
        return credentials
