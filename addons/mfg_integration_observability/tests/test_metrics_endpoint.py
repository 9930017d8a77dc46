"""GET /metrics over real HTTP: refused without a metrics credential, served
for a key with the metrics:read scope or an address of the allow-list."""

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

MANAGER = "base.group_user,mfg_integration_core.group_integration_manager"
ALLOWLIST = "mfg_integration.metrics_ip_allowlist"


@tagged("post_install", "-at_install")
class TestMetricsEndpoint(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(ALLOWLIST, "")
        if "mfg.integration.client" not in cls.env:
            return  # the key tests skip themselves
        cls.requester = new_test_user(cls.env, login="metrics_requester", groups=MANAGER)
        cls.approver = new_test_user(cls.env, login="metrics_approver", groups=MANAGER)
        cls.system = cls.env["mfg.integration.system"].create(
            {"code": "PROM-01", "name": "Monitoring", "kind": "other"}
        )
        metrics_read = cls.env.ref("mfg_integration_governance.scope_metrics_read")
        mapping_read = cls.env.ref("mfg_integration_governance.scope_mapping_read")
        cls.scoped_key = cls._key("Prometheus", metrics_read)
        cls.unscoped_key = cls._key("Other client", mapping_read)

    @classmethod
    def _key(cls, name, scope):
        client = (
            cls.env["mfg.integration.client"]
            .with_user(cls.requester)
            .create({"name": name, "system_id": cls.system.id, "scope_ids": [(6, 0, scope.ids)]})
        )
        client.action_submit()
        client.with_user(cls.approver).action_approve()
        return client.with_user(cls.approver).action_issue_key()["context"]["mfg_api_key_secret"]

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
        self.env["mfg.integration.telemetry"]._count(
            "mfg_circuit_openings_total", subscriber="Endpoint test"
        )
        response = self.scrape(self.scoped_key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        self.assertIn('mfg_circuit_openings_total{subscriber="Endpoint test"}', response.text)
        self.assertIn("# TYPE mfg_outbox_backlog gauge", response.text)
        self.assertIn('mfg_credentials_expiring{kind="key"}', response.text)

    def test_allowed_address_reads_without_key(self):
        # the test client calls from 127.0.0.1
        self.env["ir.config_parameter"].sudo().set_param(ALLOWLIST, "10.1.2.3, 127.0.0.0/8")
        response = self.scrape()
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn("# TYPE mfg_queue_jobs gauge", response.text)

    def test_address_outside_the_allow_list_needs_a_key(self):
        self.env["ir.config_parameter"].sudo().set_param(ALLOWLIST, "10.1.2.3, 192.168.0.0/16")
        self.assertEqual(self.scrape().status_code, 401)

    def test_invalid_allow_list_is_refused_in_settings(self):
        with self.assertRaisesRegex(ValidationError, "'10.0.0.300' is not an IP address"):
            self.env["res.config.settings"].create(
                {"mfg_metrics_ip_allowlist": "10.0.0.1, 10.0.0.300"}
            )
