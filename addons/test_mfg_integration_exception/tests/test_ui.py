from odoo.tests import new_test_user, tagged

from odoo.addons.mfg_integration_exception.tests.common import PLANNER
from odoo.addons.mfg_integration_mrp.tests.common import ApiCase


@tagged("post_install", "-at_install")
class TestPlannerTour(ApiCase):
    def test_planner_maps_an_unmapped_unit_and_retries(self):
        new_test_user(self.env, login="planner_ui", password="planner-ui-1", groups=PLANNER)
        move = {
            "type": "count",
            "product": "CMP-1",
            "quantity": 10,
            "unit": "LBR",
            "location": "WH/STOCK",
        }
        result = self.run_batch([move])
        self.assertEqual(result["status"], "failed")
        exception = self.env["mfg.integration.exception"].search([])
        self.assertEqual(exception.mapping_value, "LBR")
        self.start_tour(
            "/odoo", "mfg_integration_exception_resolve_unmapped_unit", login="planner_ui"
        )
        exception.invalidate_recordset()
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(exception.user_id.login, "planner_ui")
        self.assertEqual(exception.root_cause, "mapping")
        line = self.env["mfg.integration.value.map.line"].search([("external_code", "=", "LBR")])
        self.assertEqual(line.record_ref, self.uom_unit)
        self.assertEqual(line.create_uid.login, "planner_ui")
        item = exception.occurrence_ids.source_ref
        self.assertEqual(item.state, "done")
        quant = self.env["stock.quant"].search(
            [("product_id", "=", self.component.id), ("location_id", "=", self.stock.id)]
        )
        self.assertEqual(sum(quant.mapped("quantity")), 10, "the count was applied")
