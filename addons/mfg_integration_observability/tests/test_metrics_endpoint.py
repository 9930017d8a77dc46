"""GET /metrics over real HTTP: refused without a metrics credential, served
for a key with the metrics:read scope (the series of its client's companies)
or an address of the allow-list (every company's)."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .test_metrics import exposed

MANAGER = "base.group_user,mfg_integration_core.group_integration_manager"
ALLOWLIST = "mfg_integration.metrics_ip_allowlist"
TEST_SINK = "test.mfg.outbox.sink"
TEST_EVENT_TYPE = "test.outbox.thing.happened.v1"


@tagged("post_install", "-at_install")
class TestMetricsEndpoint(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(ALLOWLIST, "")
        cls.company = str(cls.env.company.id)
        if "mfg.integration.client" not in cls.env:
            return  # the key tests skip themselves
        cls.requester = new_test_user(cls.env, login="metrics_requester", groups=MANAGER)
        cls.approver = new_test_user(cls.env, login="metrics_approver", groups=MANAGER)
        cls.system = cls.env["mfg.integration.system"].create(
            {"code": "PROM-01", "name": "Monitoring", "kind": "other"}
        )
        metrics_read = cls.env.ref("mfg_integration_governance.scope_metrics_read")
        mapping_read = cls.env.ref("mfg_integration_governance.scope_mapping_read")
        cls.scoped_key, cls.scoped_client = cls._key("Prometheus", metrics_read)
        cls.unscoped_key, cls.unscoped_client = cls._key("Other client", mapping_read)

    @classmethod
    def _key(cls, name, scope):
        client = (
            cls.env["mfg.integration.client"]
            .with_user(cls.requester)
            .create({"name": name, "system_id": cls.system.id, "scope_ids": [(6, 0, scope.ids)]})
        )
        client.action_submit()
        client.with_user(cls.approver).action_approve()
        action = client.with_user(cls.approver).action_issue_key()
        return action["context"]["mfg_api_key_secret"], client

    def scrape(self, key=None):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.url_open("/metrics", headers=headers)

    def _needs_governance(self):
        if "mfg.integration.client" not in self.env:
            self.skipTest("API governance is not installed")

    def test_refused_without_credential(self):
        response = self.scrape()
        self.assertEqual(response.status_code, 401)
        self.assertIn("metrics:read", response.text)
        self.assertIn("Bearer", response.headers["WWW-Authenticate"])
        self.assertNotIn("mfg_", response.text.replace("metrics:read", ""))

    def test_unknown_key_is_refused(self):
        self._needs_governance()
        response = self.scrape("mfgk_00000000_" + "x" * 43)
        self.assertEqual(response.status_code, 401)
        self.assertNotIn("# TYPE", response.text)

    def test_key_without_the_scope_is_forbidden(self):
        self._needs_governance()
        response = self.scrape(self.unscoped_key)
        self.assertEqual(response.status_code, 403)
        self.assertIn("metrics:read", response.text)
        self.assertNotIn("# TYPE", response.text)

    def test_key_with_the_scope_reads_the_metrics(self):
        self._needs_governance()
        labels = {"subscriber": "Endpoint test", "company": self.company}
        before = exposed(self.scrape(self.scoped_key).text, "mfg_circuit_openings_total", **labels)
        telemetry = self.env["mfg.integration.telemetry"]
        for _opening in range(2):
            telemetry._count("mfg_circuit_openings_total", **labels)
        # the other client's only key expires within the warning's 14 days
        self.unscoped_client.sudo().key_ids.expires_at = fields.Datetime.now() + timedelta(days=3)
        response = self.scrape(self.scoped_key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        text = response.text
        self.assertEqual(
            exposed(text, "mfg_circuit_openings_total", **labels), (before or 0) + 2, text
        )
        for kind in ("key", "client"):
            self.assertEqual(
                exposed(text, "mfg_credentials_expiring", kind=kind, company=self.company), 1, kind
            )
        self.assertIn("# TYPE mfg_outbox_backlog gauge", text)

    def test_allowed_address_reads_without_key(self):
        # the test client calls from 127.0.0.1
        self.env["ir.config_parameter"].sudo().set_param(ALLOWLIST, "10.1.2.3, 127.0.0.0/8")
        channel = "root.mfg_metrics_endpoint_test"
        partner = self.env["res.partner"].create({"name": "Job thing"})
        for _job in range(3):
            partner.with_delay(channel=channel).exists()
        response = self.scrape()
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            exposed(
                response.text,
                "mfg_queue_jobs",
                channel=channel,
                state="pending",
                company=self.company,
            ),
            3,
        )

    def test_a_key_reads_the_series_of_its_own_companies_only(self):
        self._needs_governance()
        if TEST_SINK not in self.env:
            self.skipTest("the outbox's test sink kind is not installed")
        plant_b = self.env["res.company"].create({"name": "Metrics plant B"})
        company_b = str(plant_b.id)
        subscribers = {
            self.company: self.env[TEST_SINK].create(
                {"name": "Metrics receiver A", "event_types": "test.outbox.*"}
            ),
            company_b: self.env[TEST_SINK].create(
                {
                    "name": "Metrics receiver B",
                    "event_types": "test.outbox.*",
                    "company_id": plant_b.id,
                }
            ),
        }
        Partner = self.env["res.partner"]
        # in each company: an event delivered, and one waiting
        for company, sink in subscribers.items():
            thing = Partner.create({"name": f"Thing {company}", "company_id": int(company)})
            with trap_jobs():
                self.env["mfg.integration.event"]._emit(TEST_EVENT_TYPE, thing, {"step": 1})
                self.assertEqual(sink._drain(), "1 sent, 1 delivered")
                self.env["mfg.integration.event"]._emit(TEST_EVENT_TYPE, thing, {"step": 2})
        requests_counted = (
            "mfg_requests_total" in self.env["mfg.integration.telemetry"]._metric_definitions()
        )
        if requests_counted:
            # as the command pipeline counts a request of each company's system
            system_b = self.env["mfg.integration.system"].create(
                {"code": "PROM-B", "name": "Plant B MES", "company_id": plant_b.id}
            )
            for system in (self.system, system_b):
                self.env["mfg.integration.telemetry"]._count(
                    "mfg_requests_total",
                    command="test.metrics.v1",
                    system=system.code,
                    status="200",
                    transport="rest",
                    company=str(system.company_id.id),
                )

        def figures(text, company):
            sink = subscribers[company]
            mine = {"subscriber": sink.name, "sink": sink._sink_kind(), "company": company}
            found = {
                "delivered": exposed(text, "mfg_deliveries_total", outcome="delivered", **mine),
                "backlog": exposed(text, "mfg_outbox_backlog", **mine),
            }
            if requests_counted:
                code = self.system.code if company == self.company else "PROM-B"
                found["requests"] = exposed(
                    text,
                    "mfg_requests_total",
                    command="test.metrics.v1",
                    system=code,
                    status="200",
                    transport="rest",
                    company=company,
                )
            return found

        expected = {"delivered": 1, "backlog": 1}
        if requests_counted:
            expected["requests"] = 1
        keys_text = self.scrape(self.scoped_key).text
        self.assertEqual(figures(keys_text, self.company), expected)
        # nothing of plant B: neither its subscriber, nor its system, nor its company
        for trace in ("Metrics receiver B", "PROM-B", f'company="{company_b}"'):
            self.assertNotIn(trace, keys_text)

        # the operators' Prometheus, on an address of the allow-list, reads every company's
        self.env["ir.config_parameter"].sudo().set_param(ALLOWLIST, "127.0.0.1")
        operators_text = self.scrape().text
        self.assertEqual(figures(operators_text, self.company), expected)
        self.assertEqual(figures(operators_text, company_b), expected)

    def test_address_outside_the_allow_list_needs_a_key(self):
        self.env["ir.config_parameter"].sudo().set_param(ALLOWLIST, "10.1.2.3, 192.168.0.0/16")
        self.assertEqual(self.scrape().status_code, 401)

    def test_invalid_allow_list_is_refused_in_settings(self):
        with self.assertRaisesRegex(ValidationError, "'10.0.0.300' is not an IP address"):
            self.env["res.config.settings"].create(
                {"mfg_metrics_ip_allowlist": "10.0.0.1, 10.0.0.300"}
            )
