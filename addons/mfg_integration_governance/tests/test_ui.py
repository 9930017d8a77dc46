from odoo.tests import HttpCase, new_test_user, tagged

from .common import MANAGER


@tagged("post_install", "-at_install")
class TestGovernanceUi(HttpCase):
    def test_manager_requests_another_approves_and_issues_a_key(self):
        new_test_user(self.env, login="requester_ui", password="requester-ui-1", groups=MANAGER)
        new_test_user(self.env, login="approver_ui", password="approver-ui-1", groups=MANAGER)
        self.start_tour("/odoo", "mfg_integration_governance_request_client", login="requester_ui")
        client = self.env["mfg.integration.client"].search([("name", "=", "Supplier portal ACME")])
        self.assertEqual(client.state, "submitted")
        self.assertEqual(client.requested_by_id.login, "requester_ui")
        self.assertEqual(client.scope_ids.mapped("code"), ["mapping:read"])
        self.start_tour(
            "/odoo", "mfg_integration_governance_approve_and_issue", login="approver_ui"
        )
        client.invalidate_recordset()
        self.assertEqual(client.state, "approved")
        self.assertEqual(client.approved_by_id.login, "approver_ui")
        self.assertEqual(len(client.key_ids), 1)
        self.assertEqual(client.key_ids.state, "active")
        # the reveal dialog was never saved: no wizard row holds the key
        self.assertFalse(self.env["mfg.integration.api.key.reveal"].search([]))


@tagged("post_install", "-at_install")
class TestKeyUsage(HttpCase):
    """In HTTP tests the service's side transactions share the test's, so usage shows."""

    def test_usage_is_recorded(self):
        requester = new_test_user(self.env, login="req_usage", groups=MANAGER)
        approver = new_test_user(self.env, login="app_usage", groups=MANAGER)
        scope = self.env["mfg.integration.scope"].create({"code": "things:read", "name": "Read"})
        client = (
            self.env["mfg.integration.client"]
            .with_user(requester)
            .create({"name": "Usage client", "scope_ids": [(6, 0, scope.ids)]})
        )
        client.action_submit()
        client.with_user(approver).action_approve()
        action = client.with_user(approver).action_issue_key()
        secret = action["context"]["mfg_api_key_secret"]
        auth = self.env["mfg.integration.auth"]
        auth.authenticate(secret, "10.0.0.7", "things:read")
        auth.authenticate(secret, "10.0.0.8", "things:read")
        key = client.key_ids
        key.invalidate_recordset()
        self.assertEqual(key.usage_count, 2)
        self.assertEqual(key.last_used_ip, "10.0.0.8")
        self.assertTrue(key.last_used_at)
        client.invalidate_recordset()
        self.assertEqual(client.usage_count, 2)
