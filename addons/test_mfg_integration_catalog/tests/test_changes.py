import json
from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import CatalogCase

MANAGER = "mfg_integration_core.group_integration_manager"
CONSULTANT = "mfg_integration_catalog.group_integration_consultant"


@tagged("post_install", "-at_install")
class TestFourEyesChanges(CatalogCase):
    """A change of what is in production is requested by one person and
    applied once another Integration Manager approves it, diff in view."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = new_test_user(cls.env, login="catalog_consultant", groups=CONSULTANT)
        cls.manager = new_test_user(cls.env, login="catalog_manager", groups=MANAGER)
        cls.other_manager = new_test_user(cls.env, login="catalog_other_manager", groups=MANAGER)
        cls.successor = cls.Interface.create(
            {
                "code": "MES-ORDERS-V2",
                "name": "Production orders from the new MES",
                "business_process": "demand_to_production",
                "mode": "shadow",
            }
        )

    def audit(self, record, action):
        return self.env["mfg.integration.audit.log"].search(
            [("model", "=", record._name), ("res_id", "=", record.id), ("action", "=", action)]
        )

    def request(self, user, target_field, target, **values):
        Change = self.env["mfg.integration.catalog.change"].with_user(user)
        return Change.with_context(**{f"default_{target_field}": target.id}).create(
            {target_field: target.id, **values}
        )

    def test_a_production_interface_changes_only_once_another_manager_approves(self):
        interface = self.production_interface
        self.assertEqual(interface.mode, "cut_over")
        with self.assertRaisesRegex(UserError, "is in production"):
            interface.with_user(self.manager).write({"mode": "retired"})
        # what is not governed, and the same value, are written directly
        interface.with_user(self.consultant).write({"support_team": "MES team", "mode": "cut_over"})
        change = self.request(
            self.manager,
            "interface_id",
            interface,
            new_mode="retired",
            new_interface_successor_id=self.successor.id,
            reason="The new MES takes the orders over.",
        )
        self.assertEqual(
            json.loads(change.changes),
            {
                "mode": ["cut_over", "retired"],
                "successor_id": [None, "[MES-ORDERS-V2] Production orders from the new MES"],
            },
        )
        self.assertIn("Coexistence Mode: cut_over → retired", change.changes_summary)
        self.assertEqual(self.audit(interface, "change_requested").user_id, self.manager)
        # requested, not applied: the request path still applies the command
        self.assertEqual(interface.mode, "cut_over")
        status, body, _response = self.create_order("PLN-CH1", 2)
        self.assertEqual(status, 201, body)
        # neither the requester nor a consultant approves it
        with self.assertRaisesRegex(UserError, "four-eyes"):
            change.with_user(self.manager).action_approve()
        with self.assertRaises(AccessError):
            change.with_user(self.consultant).action_approve()
        with self.assertRaisesRegex(UserError, "new one"):
            change.with_user(self.manager).write({"new_mode": "legacy"})
        self.assertEqual((interface.mode, change.state), ("cut_over", "pending"))
        change.with_user(self.other_manager).action_approve()
        self.assertEqual((interface.mode, interface.successor_id), ("retired", self.successor))
        self.assertEqual((change.state, change.decided_by_id), ("approved", self.other_manager))
        approved = self.audit(interface, "change_approved")
        self.assertEqual(approved.user_id, self.other_manager)
        self.assertEqual(json.loads(approved.changes)["mode"], ["cut_over", "retired"])
        written = self.audit(interface, "write").filtered(lambda row: "mode" in row.changes)
        self.assertEqual(written.user_id, self.other_manager)
        self.assertIn("approved by catalog_other_manager", interface.message_ids[0].body)
        # applied once: the request path answers 410 now, and the request is closed
        self.assertProblem(self.create_order("PLN-CH2", 2), 410, "gone")
        with self.assertRaisesRegex(UserError, "already decided"):
            change.with_user(self.other_manager).action_approve()
        with self.assertRaisesRegex(UserError, "cannot be edited"):
            change.with_user(self.other_manager).write({"reason": "again"})

    def test_a_version_sunset_change_is_rejected_or_approved_with_its_diff(self):
        Version = self.env["mfg.integration.api.version"]
        v2 = Version.create({"number": 2, "state": "preview"})
        v1 = Version.create({"number": 1, "state": "production"})
        # a preview version is not in production yet: changed directly
        v2.with_user(self.consultant).write({"state": "production"})
        values = {
            "new_state": "deprecated",
            "new_deprecation_date": date(2026, 1, 1),
            "new_sunset_date": date(2027, 6, 30),
            "new_version_successor_id": v2.id,
        }
        with self.assertRaisesRegex(UserError, "is in production"):
            v1.with_user(self.consultant).write({"sunset_date": date(2027, 6, 30)})
        change = self.request(self.consultant, "version_id", v1, **values)
        self.assertEqual(
            json.loads(change.changes),
            {
                "state": ["production", "deprecated"],
                "deprecation_date": [None, "2026-01-01"],
                "sunset_date": [None, "2027-06-30"],
                "successor_id": [None, "v2"],
            },
        )
        with self.assertRaisesRegex(UserError, "already waiting"), self.env.cr.savepoint():
            self.request(self.manager, "version_id", v1, new_sunset_date=date(2027, 1, 1))
        change.with_user(self.manager).action_reject()
        self.assertEqual((v1.state, v1.sunset_date), ("production", False))
        self.assertTrue(self.audit(v1, "change_rejected"))
        # asked again and approved: the request path carries the headers at once
        change = self.request(self.consultant, "version_id", v1, **values)
        change.with_user(self.manager).action_approve()
        self.assertEqual((v1.state, v1.sunset_date), ("deprecated", date(2027, 6, 30)))
        status, _body, response = self.api("GET", "/production-orders")
        self.assertEqual(status, 200)
        self.assertEqual(response.headers["Sunset"], "Wed, 30 Jun 2027 00:00:00 GMT")

    def test_a_change_of_a_record_that_moved_since_the_request_is_not_applied(self):
        interface = self.production_interface
        change = self.request(self.consultant, "interface_id", interface, new_mode="dual_run")
        # meanwhile the interface went back to shadow (by another approved change)
        interface.mode = "shadow"
        with self.assertRaisesRegex(UserError, "changed since the request"):
            change.with_user(self.manager).action_approve()
        self.assertEqual(interface.mode, "shadow")
        with self.assertRaisesRegex(UserError, "changes nothing"):
            self.request(self.consultant, "interface_id", self.successor, new_mode="shadow")
