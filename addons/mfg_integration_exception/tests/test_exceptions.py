from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user

from .common import PLANNER


class TestExceptionLifecycle(TransactionCase):
    """Taking, resolving, ignoring and escalating; SLA rules. The reports come
    from core's incident service, as any source sends them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Exception = cls.env["mfg.integration.exception"]
        cls.Incident = cls.env["mfg.integration.incident"]
        cls.planner = new_test_user(cls.env, login="planner_x", groups=PLANNER)
        cls.mes = cls.env["mfg.integration.system"].create({"code": "MES-01", "name": "MES"})

    def test_resolve_and_ignore_need_their_note(self):
        exception = self.Incident._report("other", "Something odd", key="odd")
        as_planner = exception.with_user(self.planner)
        as_planner.action_take()
        self.assertEqual((exception.state, exception.user_id), ("in_progress", self.planner))
        with self.assertRaisesRegex(UserError, "resolution note"):
            as_planner.action_resolve()
        with self.assertRaisesRegex(UserError, "why"):
            as_planner.action_ignore()
        as_planner.write(
            {"resolution_note": "Re-sent the master data", "root_cause": "master_data"}
        )
        as_planner.action_resolve()
        self.assertEqual(exception.state, "resolved")
        self.assertGreaterEqual(exception.resolution_hours, 0)
        other = self.Incident._report("other", "Noise", key="noise")
        other.write({"ignore_reason": "Test system"})
        other.with_user(self.planner).action_ignore()
        self.assertEqual(other.state, "ignored")

    def test_sla_rules_and_assignee(self):
        rule = self.env["mfg.integration.exception.rule"].create(
            {
                "sequence": 0,
                "category": "unknown_reference",
                "system_id": self.mes.id,
                "resolve_within_hours": 1,
                "user_id": self.planner.id,
            }
        )
        exception = self.Incident._report(
            "unknown_reference",
            "MES-01 sent product 'FG-999'",
            key="product|FG-999",
            system=self.mes,
        )
        self.assertEqual(exception.user_id, self.planner)
        self.assertEqual(exception.sla_deadline, exception.first_seen + timedelta(hours=1))
        self.assertEqual(exception.activity_ids.user_id, self.planner)
        critical = self.Incident._report("other", "Line down", key="down", severity="critical")
        self.assertEqual(critical.sla_deadline, critical.first_seen + timedelta(hours=2))
        with self.assertRaises(AccessError):
            rule.with_user(self.planner).write({"resolve_within_hours": 100})
        critical.with_user(self.planner).action_escalate()
        self.assertEqual(critical.state, "escalated")
