from odoo import api, models

from odoo.addons.mfg_integration_core.models.telemetry import Gauge

from .exception import OPEN_STATES


class MfgIntegrationTelemetry(models.AbstractModel):
    _inherit = "mfg.integration.telemetry"

    @api.model
    def _gauge_definitions(self):
        gauges = super()._gauge_definitions()
        gauges["mfg_exceptions_open"] = Gauge(
            "Open integration exceptions by category and severity.",
            ("category", "severity"),
            self._collect_open_exceptions,
        )
        gauges["mfg_exceptions_sla_breached"] = Gauge(
            "Open integration exceptions past their SLA deadline, by category.",
            ("category",),
            self._collect_breached_exceptions,
        )
        return gauges

    def _collect_open_exceptions(self):
        self.env.cr.execute(
            """SELECT category, severity, count(*) FROM mfg_integration_exception
                WHERE state IN %s GROUP BY category, severity""",
            [OPEN_STATES],
        )
        return [((category, severity), n) for category, severity, n in self.env.cr.fetchall()]

    def _collect_breached_exceptions(self):
        self.env.cr.execute(
            """SELECT category, count(*) FROM mfg_integration_exception
                WHERE state IN %s AND sla_deadline < (clock_timestamp() AT TIME ZONE 'UTC')
             GROUP BY category""",
            [OPEN_STATES],
        )
        return [((category,), n) for category, n in self.env.cr.fetchall()]
