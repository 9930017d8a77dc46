from odoo import api, models

from odoo.addons.mfg_integration_core.models.telemetry import LATENCY_BUCKETS, Metric


class MfgIntegrationTelemetry(models.AbstractModel):
    _inherit = "mfg.integration.telemetry"

    @api.model
    def _metric_definitions(self):
        definitions = super()._metric_definitions()
        definitions.update(
            {
                "mfg_requests_total": Metric(
                    "counter",
                    "Inbound commands by command, calling system, status code and transport "
                    "(rest, amqp, batch: items of asynchronous batches), and the calling "
                    "client's company (empty for an unknown caller).",
                    ("command", "system", "status", "transport", "company"),
                ),
                "mfg_request_duration_seconds": Metric(
                    "histogram",
                    "Time the command pipeline took for one inbound command.",
                    ("command", "transport"),
                    LATENCY_BUCKETS,
                ),
                "mfg_batch_items_total": Metric(
                    "counter",
                    "Items of asynchronous batches applied, by command and outcome "
                    "(succeeded, failed).",
                    ("command", "outcome"),
                ),
            }
        )
        return definitions
