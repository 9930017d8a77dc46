"""A real command of each company's client, counted in /metrics under its
client's company: a metrics key sees its own companies' requests only."""

import json

from odoo.tests import HttpCase, tagged

from odoo.addons.mfg_integration_api.routing import API_PREFIX
from odoo.addons.mfg_integration_governance.tests.common import GovernanceCase
from odoo.addons.mfg_integration_observability.tests.test_metrics import exposed

ALLOWLIST = "mfg_integration.metrics_ip_allowlist"


@tagged("post_install", "-at_install")
class TestRequestsPerCompany(HttpCase, GovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(ALLOWLIST, "")
        cls.plant_b = cls.env["res.company"].create({"name": "Requests plant B"})
        (cls.requester | cls.approver).write({"company_ids": [(4, cls.plant_b.id)]})
        cls.mes_b = cls.env["mfg.integration.system"].create(
            {"code": "MES-B7", "name": "Plant B MES", "kind": "mes", "company_id": cls.plant_b.id}
        )
        _client, _key, cls.key_a = cls._approved_client_with_key("Plant A MES client")
        _client, _key, cls.key_b = cls._approved_client_with_key(
            "Plant B MES client", company_id=cls.plant_b.id, system_id=cls.mes_b.id
        )
        metrics_read = cls.env.ref("mfg_integration_governance.scope_metrics_read")
        _client, _key, cls.metrics_key = cls._approved_client_with_key(
            "Plant A Prometheus", scope_ids=[(6, 0, metrics_read.ids)]
        )

    def echo(self, key, name):
        response = self.url_open(
            API_PREFIX + "/test/echo",
            data=json.dumps({"name": name}),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, response.text)

    def requests(self, text, system, company):
        return exposed(
            text,
            "mfg_requests_total",
            command="test.echo.v1",
            system=system.code,
            status="200",
            transport="rest",
            company=str(company.id),
        )

    def scrape(self, key=None):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = self.url_open("/metrics", headers=headers)
        self.assertEqual(response.status_code, 200, response.text)
        return response.text

    def test_each_companys_requests_are_counted_under_it_and_seen_by_it_alone(self):
        plant_a = self.env.company
        before = self.requests(self.scrape(self.metrics_key), self.mes, plant_a) or 0
        self.echo(self.key_a, "Ada")
        self.echo(self.key_b, "Lin")
        self.echo(self.key_b, "Grace")

        seen_by_a = self.scrape(self.metrics_key)
        self.assertEqual(self.requests(seen_by_a, self.mes, plant_a), before + 1)
        # nothing of plant B: neither its system nor its company
        for trace in (f'system="{self.mes_b.code}"', f'company="{self.plant_b.id}"'):
            self.assertNotIn(trace, seen_by_a)

        # the operators' Prometheus, on an address of the allow-list, reads both
        self.env["ir.config_parameter"].sudo().set_param(ALLOWLIST, "127.0.0.1")
        seen_by_operators = self.scrape()
        self.assertEqual(self.requests(seen_by_operators, self.mes, plant_a), before + 1)
        self.assertEqual(self.requests(seen_by_operators, self.mes_b, self.plant_b), 2)
