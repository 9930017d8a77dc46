from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestHealthDashboardTour(HttpCase):
    def test_the_dashboard_opens_the_records_behind_a_figure(self):
        new_test_user(
            self.env,
            login="health_ui",
            password="health-ui-1",
            groups="mfg_integration_core.group_integration_user",
        )
        system = self.env["mfg.integration.system"].create(
            {"code": "HLT-TOUR", "name": "Tour MES", "kind": "mes"}
        )
        Log = self.env["mfg.integration.message.log"]
        rows = Log.create(
            [
                {"direction": "inbound", "system_id": system.id, "status": status, "latency_ms": 20}
                for status in ("success", "success", "failed", "failed", "failed", "rejected")
            ]
        )
        rows[-1].status = "success"
        Log.flush_model()
        two_days_ago = fields.Datetime.now() - timedelta(days=2)
        self.env.cr.execute(
            "UPDATE mfg_integration_message_log SET create_date = %s WHERE id = ANY(%s)",
            (two_days_ago, rows.ids),
        )
        self.env["mfg.integration.hourly.stat"]._roll_up()
        self.start_tour("/odoo", "mfg_integration_health_dashboard", login="health_ui")
