"""Prometheus metrics of the telemetry service: counting on the hot paths,
gauges computed from the database when /metrics is read."""

import ipaddress
import logging

from prometheus_client.core import GaugeMetricFamily

from odoo import api, models

from odoo.addons.mfg_integration_core.models.telemetry import Metric

from .. import metrics

_logger = logging.getLogger(__name__)

ALLOWLIST_PARAMETER = "mfg_integration.metrics_ip_allowlist"


def parse_allowlist(text):
    """The networks of a comma-separated allow-list; ValueError names the bad entry."""
    networks = []
    for entry in (text or "").replace("\n", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise ValueError(f"'{entry}' is not an IP address or network") from error
    return networks


class MfgIntegrationTelemetry(models.AbstractModel):
    _inherit = "mfg.integration.telemetry"

    @api.model
    def _metric_definitions(self):
        definitions = super()._metric_definitions()
        definitions["mfg_scrape_errors_total"] = Metric(
            "counter",
            "Gauge families that could not be computed while /metrics was read "
            "(the rest of the reading was answered).",
            ("family",),
        )
        return definitions

    @api.model
    def _count(self, name, amount=1, **labels):
        # no SQL, no lock held across requests: a dict look-up and a float add
        metrics.record(name, labels, self._metric_definitions, amount=amount)

    @api.model
    def _observe(self, name, value, **labels):
        metrics.record(name, labels, self._metric_definitions, value=value)

    # ------------------------------------------------------------------
    # Reading the metrics
    # ------------------------------------------------------------------
    @api.model
    def _metrics_allowed_address(self, ip_address):
        """Whether ``ip_address`` is in the metrics allow-list of the settings."""
        text = self.env["ir.config_parameter"].sudo().get_param(ALLOWLIST_PARAMETER)
        if not text or not ip_address:
            return False
        try:
            networks = parse_allowlist(text)
            address = ipaddress.ip_address(ip_address)
        except ValueError as error:
            _logger.warning("Metrics allow-list or address not usable: %s", error)
            return False
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in networks)

    @api.model
    def _gauge_families(self):
        """The gauges of every addon, computed now; a gauge that fails is left
        out and counted in mfg_scrape_errors_total."""
        families = []
        for name, gauge in self._gauge_definitions().items():
            try:
                with self.env.cr.savepoint():
                    samples = list(gauge.collect())
                family = GaugeMetricFamily(name, gauge.documentation, labels=gauge.labels)
                for label_values, value in samples:
                    family.add_metric([str(label) for label in label_values], value)
            except Exception:
                _logger.exception("Gauge %s could not be computed for /metrics", name)
                self._count("mfg_scrape_errors_total", family=name)
                continue
            families.append(family)
        return families

    @api.model
    def _render_metrics(self, company_ids=None):
        """The Prometheus text exposition of every metric; with ``company_ids``,
        of the series of those companies and of the server's own only."""
        keep = None if company_ids is None else self._company_series(company_ids)
        return metrics.render(self._gauge_families(), keep)

    @api.model
    def _company_series(self, company_ids):
        """Whether a sample is shown to a reader of ``company_ids``: a series
        labelled with a company, when it is one of them; a gauge without that
        label never (gauges read the companies' records); a counter that names
        a connected system but not its company, when one of them has a system
        of that code (codes are unique per company only: a code that two
        companies use is shown to both); other counters (the server's own,
        such as the mapping cache's) always."""
        companies = {str(company_id) for company_id in company_ids}
        codes = set(
            self.env["mfg.integration.system"]
            .sudo()
            .with_context(active_test=False)
            .search([("company_id", "in", list(company_ids))])
            .mapped("code")
        )

        def keep(family, labels):
            if metrics.COMPANY_LABEL in labels:
                return labels[metrics.COMPANY_LABEL] in companies
            if family.type == "gauge":
                return False
            if "system" in labels:
                return labels["system"] in codes
            return True

        return keep
