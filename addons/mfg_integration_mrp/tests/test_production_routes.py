from odoo.tests import tagged

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestProductionRoutes(ApiCase):
    def _production(self, external_id):
        return self.env["mfg.integration.mapping"].resolve_record(
            "MES-01", "production", external_id
        )

    def test_create_production_order(self):
        status, body, response = self.create_order(
            "PLN-1", 12, due_date="2026-12-01T06:00:00+01:00", origin="Plan week 48"
        )
        self.assertEqual(status, 201, body)
        production = self._production("PLN-1")
        self.assertEqual(body["reference"], production.name)
        self.assertEqual((body["id"], body["status"], body["unit"]), ("PLN-1", "REL", "EA"))
        self.assertEqual(production.state, "confirmed")
        self.assertEqual(production.product_qty, 12)
        self.assertEqual(production.bom_id, self.bom)
        self.assertEqual(str(production.date_deadline), "2026-12-01 05:00:00")
        self.assertEqual(len(production.workorder_ids), 1)
        log = self.last_log()
        self.assertEqual(
            (log.status, log.http_status, log.record_ref), ("success", 201, production)
        )
        # the event of the change carries the request's correlation id and trace
        event = self.env["mfg.integration.event"].search(
            [("type", "=", "mrp.production.confirmed.v1"), ("res_id", "=", production.id)]
        )
        self.assertEqual(event.correlation_id, response.headers["X-Correlation-ID"])
        self.assertEqual(event.traceparent, response.headers["traceparent"])
        # the same order again is a conflict, not a second order
        self.assertProblem(self.create_order("PLN-1", 12), 409, "conflict")
        self.assertEqual(
            self.env["mrp.production"].search_count([("product_id", "=", self.finished.id)]), 1
        )

    def test_create_with_unknown_or_unmapped_codes(self):
        before = self.counts()
        body = self.assertProblem(
            self.api(
                "POST",
                "/production-orders",
                {"id": "PLN-2", "product": "FG-999", "quantity": 1, "unit": "EA"},
            ),
            422,
            "unknown-reference",
        )
        self.assertEqual(body["errors"][0]["pointer"], "/product")
        self.assertEqual(
            (body["system"], body["kind"], body["value"]), ("MES-01", "product", "FG-999")
        )
        body = self.assertProblem(
            self.api(
                "POST",
                "/production-orders",
                {"id": "PLN-2", "product": "FG-100", "quantity": 1, "unit": "LBR"},
            ),
            422,
            "unmapped-code",
        )
        self.assertEqual(body["errors"][0]["pointer"], "/unit")
        self.assertIn("MES-01 sent uom code 'LBR'", body["detail"])
        body = self.assertProblem(
            self.api(
                "POST",
                "/production-orders",
                {"id": "PLN-2", "product": "FG-100", "quantity": 1, "unit": "KGM"},
            ),
            422,
            "business-rule",
        )
        self.assertIn("cannot measure", body["detail"])
        self.assertEqual(self.counts(), before)
        self.assertIn(
            "LBR",
            self.env["mfg.integration.message.log"]
            .search([("http_status", "=", 422)], order="id desc")[1]
            .error,
        )

    def test_get_and_list(self):
        self.create_order("PLN-3", 5)
        self.create_order("PLN-4", 6)
        status, body, _r = self.api("GET", "/production-orders/PLN-3")
        self.assertEqual(
            (status, body["id"], body["status"], body["planned_quantity"]), (200, "PLN-3", "REL", 5)
        )
        self.assertEqual(body["work_orders"][0]["work_center"], "WC-ASSY")
        self.assertProblem(self.api("GET", "/production-orders/PLN-404"), 404, "not-found")
        seen, cursor = [], None
        while True:
            path = "/production-orders?limit=1&updated_since=2000-01-01T00:00:00Z"
            status, page, _r = self.api("GET", path + (f"&cursor={cursor}" if cursor else ""))
            self.assertEqual(status, 200, page)
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen[-2:], ["PLN-3", "PLN-4"])
        self.assertProblem(
            self.api("GET", "/production-orders?cursor=garbage"), 422, "validation-error"
        )
        self.assertProblem(self.api("GET", "/production-orders?limit=0"), 422, "validation-error")

    def test_partial_then_final_confirmation_with_variance(self):
        self.create_order("PLN-5", 10)
        production = self._production("PLN-5")
        status, body, _r = self.api(
            "POST",
            "/production-orders/PLN-5/confirmations",
            {"produced_quantity": 4, "lot": "LOT-A", "work_center": "WC-ASSY", "operator": "Ann"},
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(production.qty_producing, 4)
        self.assertEqual(production.lot_producing_id.name, "LOT-A")
        self.assertEqual(production.move_raw_ids.quantity, 4)
        status, body, _r = self.api(
            "POST",
            "/production-orders/PLN-5/confirmations",
            {
                "produced_quantity": 4,
                "scrapped_quantity": 2,
                "scrap_reason": "SCR-01",
                "lot": "LOT-A",
                "final": True,
            },
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(production.state, "done")
        self.assertEqual(body["status"], "FIN")
        self.assertEqual(production.qty_produced, 8)
        self.assertEqual(production.mfg_scrapped_qty, 2)
        variance = production.mfg_variance_ids
        self.assertEqual(
            (variance.planned_qty, variance.produced_qty, variance.variance_pct), (10, 8, -20)
        )
        self.assertEqual(body["variance"], {"quantity": -2.0, "percent": -20.0})
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(
                self.finished, self.stock, lot_id=production.lot_producing_id
            ),
            8,
        )
        # a closed order takes no more confirmations
        self.assertProblem(
            self.api("POST", "/production-orders/PLN-5/confirmations", {"produced_quantity": 1}),
            409,
            "conflict",
        )

    def test_confirmation_with_consumed_components(self):
        self.create_order("PLN-6", 2)
        production = self._production("PLN-6")
        status, body, _r = self.api(
            "POST",
            "/production-orders/PLN-6/confirmations",
            {
                "produced_quantity": 2,
                "lot": "LOT-B",
                "final": True,
                "consumed": [{"product": "CMP-1", "quantity": 3, "unit": "EA"}],
            },
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(production.state, "done")
        self.assertEqual(production.move_raw_ids.filtered(lambda m: m.state == "done").quantity, 3)
        self.assertFalse(production.mfg_variance_ids)
        before = self.counts()
        self.create_order("PLN-7", 2)
        before = self.counts()
        body = self.assertProblem(
            self.api(
                "POST",
                "/production-orders/PLN-7/confirmations",
                {
                    "produced_quantity": 1,
                    "lot": "LOT-C",
                    "consumed": [{"product": "STL-1", "quantity": 1}],
                },
            ),
            422,
            "business-rule",
        )
        self.assertEqual(body["errors"][0]["pointer"], "/consumed/0/product")
        self.assertEqual(self.counts(), before)
        self.assertEqual(self._production("PLN-7").qty_producing, 0)

    def test_work_order_events(self):
        self.create_order("PLN-8", 1)
        workorder = self._production("PLN-8").workorder_ids
        self.env["mfg.integration.xref"].create(
            {
                "system_id": self.mes.id,
                "object_type_id": self.env.ref("mfg_integration_mrp.object_type_workorder").id,
                "external_id": "OP-8-10",
                "res_id": workorder.id,
            }
        )
        for event, state in (
            ("start", "progress"),
            ("pause", "progress"),
            ("resume", "progress"),
            ("finish", "done"),
        ):
            status, body, _r = self.api(
                "POST", "/work-orders/OP-8-10/events", {"event": event, "operator": "Bo"}
            )
            self.assertEqual(status, 200, body)
            self.assertEqual(workorder.state, state, event)
        self.assertProblem(
            self.api("POST", "/work-orders/OP-8-10/events", {"event": "pause"}), 409, "conflict"
        )
        self.assertProblem(
            self.api("POST", "/work-orders/OP-X/events", {"event": "start"}), 404, "not-found"
        )
        self.assertProblem(
            self.api("POST", "/work-orders/OP-8-10/events", {"event": "explode"}),
            422,
            "validation-error",
        )

    def test_confirmations_after_work_order_events_count_once(self):
        self.create_order("PLN-9", 4)
        production = self._production("PLN-9")
        self.env["mfg.integration.xref"].create(
            {
                "system_id": self.mes.id,
                "object_type_id": self.env.ref("mfg_integration_mrp.object_type_workorder").id,
                "external_id": "OP-9-10",
                "res_id": production.workorder_ids.id,
            }
        )
        status, body, _r = self.api("POST", "/work-orders/OP-9-10/events", {"event": "start"})
        self.assertEqual(status, 200, body)
        # starting an operation produces nothing: only the confirmations do
        self.assertEqual(production.qty_producing, 0)
        path = "/production-orders/PLN-9/confirmations"
        status, body, _r = self.api("POST", path, {"produced_quantity": 3, "lot": "LOT-9"})
        self.assertEqual((status, body["produced_quantity"]), (200, 3), body)
        status, body, _r = self.api("POST", "/work-orders/OP-9-10/events", {"event": "finish"})
        self.assertEqual(status, 200, body)
        status, body, _r = self.api(
            "POST", path, {"produced_quantity": 1, "lot": "LOT-9", "final": True}
        )
        self.assertEqual(status, 200, body)
        self.assertEqual((production.state, production.qty_produced), ("done", 4))
        self.assertFalse(production.mfg_variance_ids)
        self.assertIsNone(body["variance"])
