from odoo import fields, models


class MfgIntegrationIncident(models.AbstractModel):
    _inherit = "mfg.integration.incident"

    category = fields.Selection(selection_add=[("mqtt_refused", "MQTT message refused")])
