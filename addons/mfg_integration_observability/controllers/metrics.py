from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from odoo import SUPERUSER_ID, http
from odoo.http import request


class MfgIntegrationMetricsController(http.Controller):
    @http.route(
        "/metrics",
        type="http",
        auth="mfg_metrics",
        methods=["GET"],
        csrf=False,
        save_session=False,
        # checking a key writes (its rate-limit bucket, its last use)
        readonly=False,
    )
    def metrics(self):
        """Prometheus metrics, for an API key with the metrics:read scope or an
        address of the metrics allow-list (Integration settings)."""
        httprequest = request.httprequest
        telemetry = request.env(user=SUPERUSER_ID, su=True)["mfg.integration.telemetry"]
        # an address of the allow-list is the operators' Prometheus: every company
        company_ids = None
        if not telemetry._metrics_allowed_address(httprequest.remote_addr):
            scheme, _sep, api_key = httprequest.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not api_key.strip():
                return self._refuse(
                    401,
                    "Reading metrics needs an API key with the metrics:read scope "
                    "(Authorization: Bearer <key>) or an address in the metrics allow-list.",
                )
            access = telemetry._metrics_scrape_access(api_key.strip(), httprequest.remote_addr)
            if access.refusal:
                return self._refuse(*access.refusal)
            company_ids = access.company_ids
        return request.make_response(
            telemetry._render_metrics(company_ids),
            headers=[("Content-Type", CONTENT_TYPE_PLAIN_0_0_4)],
        )

    def _refuse(self, status, detail):
        headers = [("Content-Type", "text/plain; charset=utf-8")]
        if status == 401:
            headers.append(("WWW-Authenticate", 'Bearer realm="mfg-integration-metrics"'))
        return request.make_response(f"{detail}\n", headers=headers, status=status)
