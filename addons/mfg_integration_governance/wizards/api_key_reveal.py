from odoo import api, fields, models


class MfgIntegrationApiKeyReveal(models.TransientModel):
    """Shows a new key once. The key lives only in the action's context and the
    form on screen: the dialog is only ever closed, and create() drops it."""

    _name = "mfg.integration.api.key.reveal"
    _description = "New API Key"

    key_id = fields.Many2one("mfg.integration.api.key", readonly=True)
    client_id = fields.Many2one(related="key_id.client_id")
    expires_at = fields.Datetime(related="key_id.expires_at")
    secret = fields.Char(
        string="API Key",
        readonly=True,
        default=lambda self: self.env.context.get("mfg_api_key_secret", False),
    )

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([{**vals, "secret": False} for vals in vals_list])
