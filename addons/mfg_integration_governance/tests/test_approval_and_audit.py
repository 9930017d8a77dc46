import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError

from .common import GovernanceCase


class TestApproval(GovernanceCase):
    def test_four_eyes(self):
        client = self._client()
        self.assertEqual(client.state, "draft")
        with self.assertRaises(UserError):
            client.with_user(self.approver).action_approve()  # not submitted yet
        client.action_submit()
        self.assertEqual(client.requested_by_id, self.requester)
        with self.assertRaisesRegex(UserError, "four-eyes"):
            client.action_approve()
        with self.assertRaises(AccessError):
            client.with_user(self.planner).action_approve()
        self.assertEqual(client.state, "submitted")
        client.with_user(self.approver).action_approve()
        self.assertEqual(client.state, "approved")
        self.assertEqual(client.approved_by_id, self.approver)

    def test_status_cannot_be_written_directly(self):
        client = self._client()
        with self.assertRaisesRegex(UserError, "Use the Submit, Approve"):
            client.write({"state": "approved"})
        with self.assertRaisesRegex(UserError, "Use the Submit, Approve"):
            self._client("Sneaky", state="approved")
        self.assertEqual(client.state, "draft")

    def test_keys_only_for_approved_clients(self):
        client = self._client()
        with self.assertRaisesRegex(UserError, "not approved"):
            client.with_user(self.approver).action_issue_key()
        self.assertFalse(client.key_ids)

    def test_technical_user_created_with_the_client(self):
        client = self._client()
        user = client.technical_user_id
        self.assertTrue(user)
        self.assertEqual(user.login, f"mfg-api-client-{client.id}")
        self.assertEqual(user.company_ids, self.company)
        self.assertFalse(user.has_group("base.group_system"))

    def test_planner_reads_but_cannot_manage(self):
        client, key, _secret = self._approved_client_with_key()
        as_planner = client.with_user(self.planner)
        self.assertEqual(as_planner.name, "MES client")
        with self.assertRaises(AccessError):
            as_planner.write({"rate_limit_per_minute": 1})
        with self.assertRaises(AccessError):
            as_planner.action_issue_key()
        with self.assertRaises(AccessError):
            key.with_user(self.planner).action_revoke()
        with self.assertRaises(AccessError):
            key.with_user(self.planner).read(["key_hash"])
        with self.assertRaises(AccessError):
            self.env["mfg.integration.audit.log"].with_user(self.planner).search([])

    def test_other_company_clients_are_invisible(self):
        client = (
            self.env["mfg.integration.client"]
            .sudo()
            .create({"name": "Foreign", "company_id": self.other_company.id})
        )
        self.assertNotIn(
            client, self.env["mfg.integration.client"].with_user(self.approver).search([])
        )
        with self.assertRaises(AccessError):
            client.with_user(self.approver).read(["name"])


class TestAudit(GovernanceCase):
    def _trail(self, **domain):
        return self.env["mfg.integration.audit.log"].search(
            [(key, "=", value) for key, value in domain.items()], order="id"
        )

    def test_life_cycle_leaves_a_trail(self):
        client, key, _secret = self._approved_client_with_key()
        self.env["mfg.integration.client.change"].with_user(self.requester).create(
            {"client_id": client.id, "new_rate_limit_per_minute": 120}
        ).with_user(self.approver).action_approve()
        key.with_user(self.approver).action_rotate()
        key.with_user(self.approver).action_revoke()
        client.with_user(self.approver).action_suspend()
        client.with_user(self.approver).action_revoke()
        actions = self._trail(client_id=client.id).mapped("action")
        for expected in (
            "create",
            "submit",
            "approve",
            "key_issued",
            "write",
            "key_rotated",
            "key_revoked",
            "suspend",
            "revoke",
        ):
            self.assertIn(expected, actions)
        approve = self._trail(client_id=client.id, action="approve")
        self.assertEqual(approve.user_id, self.approver)
        change = self._trail(client_id=client.id, action="write", user_id=self.approver.id)
        change = change.filtered(lambda row: "rate_limit_per_minute" in row.changes)
        self.assertEqual(json.loads(change.changes)["rate_limit_per_minute"], [600, 120])
        # no secret and no hash in the trail
        for row in self._trail(model="mfg.integration.api.key"):
            self.assertNotIn("key_hash", row.changes or "")

    def test_mapping_changes_are_audited(self):
        xref = self._xref(self.mes, self.type_partner, "SUP-100", self.supplier)
        xref.with_user(self.approver).write({"external_id": "SUP-101"})
        rows = self._trail(model="mfg.integration.xref", res_id=xref.id)
        self.assertEqual(rows.mapped("action"), ["create", "write"])
        self.assertEqual(json.loads(rows[1].changes), {"external_id": ["SUP-100", "SUP-101"]})
        self.assertEqual(rows[1].user_id, self.approver)
        value_map = self._value_map(self.mes, "uom", [("KGM", "kg", None, True)])
        value_map.line_ids.canonical_value = "kilogram"
        line_rows = self._trail(model="mfg.integration.value.map.line")
        self.assertEqual(json.loads(line_rows[-1].changes)["canonical_value"], ["kg", "kilogram"])
        xref.unlink()
        self.assertEqual(
            self._trail(model="mfg.integration.xref", res_id=xref.id)[-1].action, "unlink"
        )

    def test_trail_is_immutable_even_for_admin(self):
        self._client()
        row = self._trail(model="mfg.integration.client")[0]
        for env in (self.env, self.env(su=True), self.env(user=self.approver)):
            with self.assertRaisesRegex(UserError, "cannot be changed"):
                row.with_env(env).write({"action": "nothing happened"})
            with self.assertRaisesRegex(UserError, "cannot be deleted"):
                row.with_env(env).unlink()
        with self.assertRaises(AccessError):
            self.env["mfg.integration.audit.log"].with_user(self.approver).create({"action": "x"})
        self.assertEqual(row.action, "create")

    def test_retention_job_is_the_only_way_out(self):
        self._client()
        rows = self._trail(model="mfg.integration.client")
        old, recent = rows[0], rows[-1]
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE mfg_integration_audit_log SET create_date = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(days=800), old.id],
        )
        self.assertEqual(self.env["mfg.integration.audit.log"]._purge_expired(), 1)
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
