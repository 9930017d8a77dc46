from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.mfg_integration_exception.tests.common import PLANNER
from odoo.addons.mfg_integration_mrp.tests.common import ApiCase


@tagged("post_install", "-at_install")
class TestCreateMapping(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.planner = new_test_user(cls.env, login="planner_map", groups=PLANNER)
        cls.Exception = cls.env["mfg.integration.exception"]

    def test_grouped_exception_retries_every_failed_item(self):
        move = {"type": "count", "product": "CMP-1", "quantity": 10, "unit": "LBR"}
        move["location"] = "WH/STOCK"
        result = self.run_batch([move, {**move, "quantity": 11}, {**move, "unit": "EA"}])
        self.assertEqual(result["status"], "partial")
        exception = self.Exception.search([("category", "=", "unmapped_code")])
        self.assertEqual(len(exception.occurrence_ids), 2)
        self.assertEqual(
            (exception.mapping_type, exception.mapping_kind, exception.mapping_value),
            ("code", "uom", "LBR"),
        )
        wizard = (
            self.env["mfg.integration.exception.mapping"]
            .with_user(self.planner)
            .create({"exception_id": exception.id})
        )
        self.assertEqual(wizard.value_map_id.domain, "uom")
        self.assertEqual(wizard.target_model, "uom.uom")
        wizard.res_id = self.uom_unit.id
        wizard.action_create_and_retry()
        self.assertEqual(exception.state, "resolved")
        self.assertTrue(all(exception.occurrence_ids.mapped("settled")))
        request = exception.occurrence_ids[0].source_ref.request_id
        self.assertEqual(request.state, "done", "both failed items were applied again")
        self.assertEqual(request.done_count, 3)
        # a retry never applies an item twice
        self.assertTrue(exception.occurrence_ids[0].source_ref.sudo()._integration_retry())
        self.assertEqual(request.done_count, 3)

    def test_planner_adds_only_the_mapping_the_exception_asks_for(self):
        status, body, _response = self.api(
            "POST",
            "/production-orders",
            {"id": "PLN-1", "product": "FG-999", "quantity": 2, "unit": "EA"},
        )
        self.assertEqual(status, 422, body)
        exception = self.Exception.search([("category", "=", "unknown_reference")])
        self.assertEqual(exception.system_id, self.mes)
        self.assertEqual(
            (exception.mapping_type, exception.mapping_kind, exception.mapping_value),
            ("reference", "product", "FG-999"),
        )
        self.assertEqual(exception.log_count, 1, "the refused request is linked")
        # the same unknown id again counts, it does not open another exception
        self.api(
            "POST",
            "/production-orders",
            {"id": "PLN-2", "product": "FG-999", "quantity": 1, "unit": "EA"},
        )
        self.assertEqual(exception.occurrence_count, 2)
        Xref = self.env["mfg.integration.xref"].with_user(self.planner)
        with self.assertRaises(AccessError):
            Xref.create(
                {
                    "system_id": self.mes.id,
                    "object_type_id": self.env.ref("mfg_integration_mrp.object_type_product").id,
                    "external_id": "FG-999",
                    "res_id": self.finished.id,
                }
            )
        wizard = (
            self.env["mfg.integration.exception.mapping"]
            .with_user(self.planner)
            .create({"exception_id": exception.id})
        )
        with self.assertRaisesRegex(UserError, "Choose the Product"):
            wizard.action_create_and_retry()
        wizard.res_id = self.finished.id
        with self.assertRaisesRegex(UserError, "already has the external id 'FG-100'"):
            wizard.action_create_and_retry()
        elsewhere = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        hidden = self.env["product.product"].create(
            {"name": "Hidden", "company_id": elsewhere.id, "is_storable": True}
        )
        wizard.res_id = hidden.id
        with self.assertRaises(AccessError):
            wizard.action_create_and_retry()
        pump = self.env["product.product"].create({"name": "Pump", "is_storable": True})
        self.env["mrp.bom"].create({"product_tmpl_id": pump.product_tmpl_id.id})
        wizard.res_id = pump.id
        wizard.action_create_and_retry()
        self.assertEqual(exception.state, "resolved")
        self.assertIn("next request passes", exception.message_ids[0].body)
        xref = self.env["mfg.integration.xref"].search([("external_id", "=", "FG-999")])
        self.assertEqual(xref.record_ref, pump)
        self.assertEqual(xref.create_uid, self.planner)
        status, body, _response = self.api(
            "POST",
            "/production-orders",
            {"id": "PLN-3", "product": "FG-999", "quantity": 2, "unit": "EA"},
        )
        self.assertEqual(status, 201, body)

    def test_validation_errors_of_synchronous_requests_are_the_senders(self):
        status, _body, _response = self.api("POST", "/production-orders", {"id": "PLN-1"})
        self.assertEqual(status, 422)
        self.assertFalse(self.Exception.search([]))
