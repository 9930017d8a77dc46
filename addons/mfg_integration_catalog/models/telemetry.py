from odoo import api, models

from odoo.addons.mfg_integration_core.models.telemetry import Metric


class MfgIntegrationTelemetry(models.AbstractModel):
    _inherit = "mfg.integration.telemetry"

    @api.model
    def _metric_definitions(self):
        definitions = super()._metric_definitions()
        definitions["mfg_deprecated_version_requests_total"] = Metric(
            "counter",
            "Calls of deprecated or retired command versions, by version and API client, "
            "and the client's company.",
            ("version", "client", "company"),
        )
        return definitions
