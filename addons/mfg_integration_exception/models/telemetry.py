from odoo import api, models

from odoo.addons.mfg_integration_core.models.telemetry import Gauge

from .exception import OPEN_STATES


class MfgIntegrationTelemetry(models.AbstractModel):
    _inherit = "mfg.integration.telemetry"

    @api.model
    def _gauge_definitions(self):
        gauges = super()._gauge_definitions()
        gauges["mfg_exceptions_open"] = Gauge(
            "Open integration exceptions by category, severity and company.",
            ("category", "severity", "company"),
            self._collect_open_exceptions,
        )
        gauges["mfg_exceptions_sla_breached"] = Gauge(
            "Open integration exceptions past their SLA deadline, by category and company.",
            ("category", "company"),
            self._collect_breached_exceptions,
        )
        return gauges

    def _collect_open_exceptions(self):
        self.env.cr.execute(
            """SELECT category, severity, company_id, count(*) FROM mfg_integration_exception
                WHERE state IN %s GROUP BY category, severity, company_id""",
            [OPEN_STATES],
        )
        return [
            ((category, severity, company_id or ""), n)
            for category, severity, company_id, n in self.env.cr.fetchall()
        ]

    def _collect_breached_exceptions(self):
        self.env.cr.execute(
            """SELECT category, company_id, count(*) FROM mfg_integration_exception
                WHERE state IN %s AND sla_deadline < (clock_timestamp() AT TIME ZONE 'UTC')
             GROUP BY category, company_id""",
            [OPEN_STATES],
        )
        return [
            ((category, company_id or ""), n) for category, company_id, n in self.env.cr.fetchall()
        ]
