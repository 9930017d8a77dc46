from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.mfg_integration_core.models.telemetry import (
    EXPIRY_WARNING_DAYS,
    Gauge,
    Metric,
    MetricsAccess,
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
            "clients whose every usable key does (kind=client), by the clients' company.",
            ("kind", "company"),
            self._collect_expiring_credentials,
        )
        return gauges

    @api.model
    def _metrics_scrape_access(self, api_key, ip_address):
        """A key may read the metrics when its client has the metrics:read
        scope; every other rule of the API applies (state, address, rate). It
        reads the series of the companies its client may act in."""
        try:
            auth = (
                self.env["mfg.integration.auth"]
                .sudo()
                .authenticate(api_key, ip_address, METRICS_SCOPE)
            )
        except AuthRefused as refusal:
            return MetricsAccess((refusal.status, refusal.public_detail))
        return MetricsAccess(None, tuple(auth.company_ids))

    def _collect_expiring_credentials(self):
        now = fields.Datetime.now()
        horizon = now + timedelta(days=EXPIRY_WARNING_DAYS)
        self.env.cr.execute(
            """WITH usable AS (
                   SELECT key.client_id, key.expires_at
                     FROM mfg_integration_api_key key
                    WHERE key.revoked_at IS NULL AND key.grace_until IS NULL
                      AND (key.expires_at IS NULL OR key.expires_at > %(now)s))
               SELECT company.id,
                      (SELECT count(*) FROM usable
                         JOIN mfg_integration_client client ON client.id = usable.client_id
                        WHERE client.company_id = company.id
                          AND usable.expires_at <= %(horizon)s),
                      (SELECT count(*) FROM mfg_integration_client client
                        WHERE client.company_id = company.id AND client.state = 'approved'
                          AND EXISTS (SELECT 1 FROM usable WHERE usable.client_id = client.id)
                          AND NOT EXISTS (
                              SELECT 1 FROM usable WHERE usable.client_id = client.id
                                 AND (usable.expires_at IS NULL
                                      OR usable.expires_at > %(horizon)s)))
                 FROM res_company company""",
            {"now": now, "horizon": horizon},
        )
        samples = []
        for company_id, keys, clients in self.env.cr.fetchall():
            samples += [(("key", company_id), keys), (("client", company_id), clients)]
        return samples
