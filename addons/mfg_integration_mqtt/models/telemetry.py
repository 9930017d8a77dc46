from odoo import api, models

from odoo.addons.mfg_integration_core.models.telemetry import Metric


class MfgIntegrationTelemetry(models.AbstractModel):
    _inherit = "mfg.integration.telemetry"

    @api.model
    def _metric_definitions(self):
        definitions = super()._metric_definitions()
        definitions["mfg_mqtt_messages_total"] = Metric(
            "counter",
            "MQTT messages by subscription and outcome (applied, duplicate: delivered "
            "again and recognised by its sequence number, refused).",
            ("subscription", "outcome", "company"),
        )
        return definitions
