import json

from odoo.exceptions import AccessError, UserError

from odoo.addons.mfg_integration_governance.models.auth import AuthRefused

from .common import GovernanceCase


class TestClientChange(GovernanceCase):
    """An approved client's access changes only with a second manager's approval."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client, cls.key, cls.secret = cls._approved_client_with_key()
        cls.Change = cls.env["mfg.integration.client.change"]

    def _request(self, user, **values):
        return self.Change.with_user(user).create({"client_id": self.client.id, **values})

    def _trail(self, action):
        return self.env["mfg.integration.audit.log"].search(
            [("client_id", "=", self.client.id), ("action", "=", action)]
        )

    def test_a_manager_alone_cannot_change_an_approved_client(self):
        as_manager = self.client.with_user(self.approver)
        for values in (
            {"scope_ids": [(4, self.scope_hold.id)]},
            {"allowed_company_ids": [(6, 0, self.other_company.ids)]},
            {"ip_allowlist": "0.0.0.0/0"},
            {"rate_limit_per_minute": 100000},
            {"rate_limit_burst": 100000},
        ):
            with self.subTest(values=values), self.assertRaisesRegex(UserError, "change request"):
                as_manager.write(values)
        self.assertEqual(self.client.rate_limit_per_minute, 600)
        self.assertFalse(self.client.ip_allowlist)
        self.assertFalse(self.client.allowed_company_ids)
        self.assertEqual(self.client.scope_ids, self.scope_prod_write | self.scope_mapping_read)
        # what is not access stays free, and a draft client is changed directly
        as_manager.write({"name": "MES client (line 2)"})
        draft = self._client("Draft client")
        draft.write({"rate_limit_per_minute": 5})
        self.assertEqual(draft.rate_limit_per_minute, 5)

    def test_the_requester_cannot_approve_their_own_change(self):
        change = self._request(self.requester, new_rate_limit_per_minute=1200, reason="line 2")
        self.assertEqual(change.state, "pending")
        self.assertEqual(self.client.pending_change_count, 1)
        self.assertEqual(json.loads(change.changes), {"rate_limit_per_minute": [600, 1200]})
        with self.assertRaisesRegex(UserError, "four-eyes"):
            change.with_user(self.requester).action_approve()
        with self.assertRaises(AccessError):
            change.with_user(self.planner).action_approve()
        self.assertEqual(change.state, "pending")
        self.assertEqual(self.client.rate_limit_per_minute, 600)
        self.assertFalse(self._trail("change_approved"))

    def test_another_manager_approves_and_the_change_applies(self):
        quality = self.scope_hold
        change = self._request(
            self.requester,
            new_scope_ids=[(6, 0, (self.client.scope_ids | quality).ids)],
            new_ip_allowlist="10.1.0.0/16",
        )
        # before the approval, the address and the scope are refused as they were
        with self.assertRaises(AuthRefused):
            self.Auth.authenticate(self.secret, "10.1.2.3", "things:hold")
        change.with_user(self.approver).action_approve()
        self.assertEqual(change.state, "approved")
        self.assertEqual(change.decided_by_id, self.approver)
        self.assertIn(quality, self.client.scope_ids)
        self.assertEqual(self.client.ip_allowlist, "10.1.0.0/16")
        self.assertTrue(self.client.technical_user_id.has_group("base.group_user"))
        # the next request sees the new access
        self.Auth.authenticate(self.secret, "10.1.2.3", "things:hold")
        # the trail has the request, the approval and the change itself, each by its user
        requested = self._trail("change_requested")
        self.assertEqual(requested.user_id, self.requester)
        approved = self._trail("change_approved")
        self.assertEqual(approved.user_id, self.approver)
        self.assertEqual(json.loads(approved.changes)["ip_allowlist"], [None, "10.1.0.0/16"])
        write = self._trail("write").filtered(lambda row: "ip_allowlist" in row.changes)
        self.assertEqual(write.user_id, self.approver)
        self.assertEqual(self.client.pending_change_count, 0)

    def test_a_rejected_change_leaves_the_client_unchanged(self):
        change = self._request(self.requester, new_rate_limit_burst=5000)
        change.with_user(self.approver).action_reject()
        self.assertEqual(change.state, "rejected")
        self.assertEqual(self.client.rate_limit_burst, 60)
        self.assertTrue(self._trail("change_rejected"))
        with self.assertRaisesRegex(UserError, "already decided"):
            change.with_user(self.approver).action_approve()
        self.assertEqual(self.client.rate_limit_burst, 60)

    def test_requests_are_checked_when_made(self):
        with self.assertRaisesRegex(UserError, "changes nothing"), self.env.cr.savepoint():
            self._request(self.requester)
        with self.assertRaisesRegex(Exception, "allow-list is not valid"), self.env.cr.savepoint():
            self._request(self.requester, new_ip_allowlist="10.0.0.0/33")
        with self.assertRaises(AccessError):
            self._request(self.planner, new_rate_limit_burst=5)
        change = self._request(self.requester, new_rate_limit_burst=5)
        with self.assertRaisesRegex(UserError, "already waiting"), self.env.cr.savepoint():
            self._request(self.approver, new_rate_limit_burst=6)
        with self.assertRaisesRegex(UserError, "make a new one"):
            change.with_user(self.requester).write({"new_rate_limit_burst": 6000})
        with self.assertRaisesRegex(UserError, "not approved"), self.env.cr.savepoint():
            self.Change.with_user(self.requester).create(
                {"client_id": self._client("Draft").id, "new_rate_limit_burst": 5}
            )

    def test_request_change_proposes_the_current_values(self):
        action = self.client.with_user(self.requester).action_request_change()
        defaults = self.Change.with_context(**action["context"]).default_get(
            ["client_id", "new_rate_limit_per_minute", "new_scope_ids"]
        )
        self.assertEqual(defaults["new_rate_limit_per_minute"], 600)
        self.assertEqual(set(defaults["new_scope_ids"][0][2]), set(self.client.scope_ids.ids))
