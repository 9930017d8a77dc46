from odoo import api, models

from odoo.addons.mfg_integration_core.models.retention import RetentionRule


class MfgIntegrationRetention(models.AbstractModel):
    _inherit = "mfg.integration.retention"

    @api.model
    def _retention_rules(self):
        rules = super()._retention_rules()
        # kept like the outbox's dead letters
        rules["mqtt_refused_message"] = RetentionRule(
            "mfg.integration.mqtt.refused.message", "dead_letter_retention_days", 90
        )
        return rules
