from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.mfg_integration_core.models.telemetry import (
    EXPIRY_WARNING_DAYS,
    Gauge,
    Metric,
)

from .auth import AuthRefused

METRICS_SCOPE = "metrics:read"


class MfgIntegrationTelemetry(models.AbstractModel):
    _inherit = "mfg.integration.telemetry"

    @api.model
    def _metric_definitions(self):
        definitions = super()._metric_definitions()
        definitions["mfg_refusals_total"] = Metric(
            "counter",
            "Requests refused by authentication or the rate limit, by reason "
            "(the problem type: unauthenticated, forbidden, rate-limited).",
            ("reason",),
        )
        return definitions

    @api.model
    def _gauge_definitions(self):
        gauges = super()._gauge_definitions()
        gauges["mfg_credentials_expiring"] = Gauge(
            f"API keys expiring within {EXPIRY_WARNING_DAYS} days (kind=key), and approved "
            "clients whose every usable key does (kind=client).",
            ("kind",),
            self._collect_expiring_credentials,
        )
        return gauges

    @api.model
    def _metrics_scrape_refusal(self, api_key, ip_address):
        """A key may read the metrics when its client has the metrics:read
        scope; every other rule of the API applies (state, address, rate)."""
        try:
            self.env["mfg.integration.auth"].sudo().authenticate(api_key, ip_address, METRICS_SCOPE)
        except AuthRefused as refusal:
            return refusal.status, refusal.public_detail
        return None

    def _collect_expiring_credentials(self):
        now = fields.Datetime.now()
        horizon = now + timedelta(days=EXPIRY_WARNING_DAYS)
        self.env.cr.execute(
            """WITH usable AS (
                   SELECT client_id, expires_at FROM mfg_integration_api_key
                    WHERE revoked_at IS NULL AND grace_until IS NULL
                      AND (expires_at IS NULL OR expires_at > %(now)s))
               SELECT (SELECT count(*) FROM usable WHERE expires_at <= %(horizon)s),
                      (SELECT count(*) FROM mfg_integration_client client
                        WHERE client.state = 'approved'
                          AND EXISTS (SELECT 1 FROM usable WHERE usable.client_id = client.id)
                          AND NOT EXISTS (
                              SELECT 1 FROM usable WHERE usable.client_id = client.id
                                 AND (usable.expires_at IS NULL
                                      OR usable.expires_at > %(horizon)s)))""",
            {"now": now, "horizon": horizon},
        )
        keys, clients = self.env.cr.fetchone()
        return [(("key",), keys), (("client",), clients)]
