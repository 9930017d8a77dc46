from unittest.mock import patch

from odoo.tests import tagged

from .common import ApiCase

# 480 pieces of the component counted in stock (500 there at the start)
COUNT_480 = {
    "type": "count",
    "product": "CMP-1",
    "quantity": 480,
    "unit": "EA",
    "location": "WH/STOCK",
}


@tagged("post_install", "-at_install")
class TestStockRoutes(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.supplier = cls.env["res.partner"].create({"name": "Steel Mill"})
        cls.order = cls.env["purchase.order"].create(
            {
                "partner_id": cls.supplier.id,
                "order_line": [
                    (0, 0, {"product_id": cls.steel.id, "product_qty": 100, "price_unit": 2})
                ],
            }
        )
        cls.env["mfg.integration.xref"].create(
            {
                "system_id": cls.mes.id,
                "object_type_id": cls.env.ref("mfg_integration_mrp.object_type_purchase").id,
                "external_id": "SUP-PO-1",
                "res_id": cls.order.id,
            }
        )

    def test_thousand_movement_batch_with_failures(self):
        movements = [
            {
                "type": "move",
                "product": "CMP-1",
                "quantity": 0.1,
                "unit": "EA",
                "from_location": "WH/STOCK",
                "to_location": "WH/LINE-1",
                "reference": f"MV-{index}",
            }
            for index in range(1000)
        ]
        movements[10]["unit"] = "LBR"
        movements[500]["product"] = "CMP-404"
        Request = type(self.env["mfg.integration.api.request"])
        committed = []  # items with an outcome at each commit of the job
        with patch.object(
            Request,
            "_commit_progress",
            autospec=True,
            side_effect=lambda request: committed.append(
                len(request.item_ids.filtered(lambda item: item.state != "pending"))
            ),
        ):
            result = self.run_batch(movements)
        # the job commits every 100 items, each item with its change and its outcome
        self.assertEqual(committed, list(range(100, 1000, 100)))
        self.assertEqual(
            (result["status"], result["items"], result["done"], result["failed"]),
            ("partial", 1000, 998, 2),
        )
        failures = {r["index"]: r["problem"] for r in result["results"] if r["status"] == "failed"}
        self.assertEqual(failures[10]["type"], "/api/mfg/v1/problems/unmapped-code")
        self.assertEqual(failures[10]["errors"][0]["pointer"], "/movements/10/unit")
        self.assertEqual(failures[500]["errors"][0]["pointer"], "/movements/500/product")
        moved = self.env["stock.quant"]._get_available_quantity(self.component, self.line_location)
        self.assertAlmostEqual(moved, 99.8)
        # the status resource belongs to its client only
        self.assertProblem(
            self.api("GET", f"/requests/{result['id']}", key=self.reader_key), 404, "not-found"
        )

    def test_batch_limit_and_count(self):
        self.env["ir.config_parameter"].set_param("mfg_integration.api_max_batch_items", 2)
        count = COUNT_480
        body = self.assertProblem(
            self.api("POST", "/inventory/movements", {"movements": [count] * 3}),
            422,
            "validation-error",
        )
        self.assertEqual(body["errors"][0]["pointer"], "/movements")
        result = self.run_batch([count, {**count, "type": "move"}])
        self.assertEqual(result["results"][0]["result"]["difference"], -20)
        self.assertEqual(
            result["results"][1]["problem"]["errors"][0]["pointer"], "/movements/1/from_location"
        )
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(self.component, self.stock), 480
        )

    def test_count_of_stock_split_over_quants(self):
        # stock that came in at two dates may sit in two quants of one location:
        # a count is their total, and leaves the counted quantity there
        self.env["stock.quant"].create(
            {"product_id": self.component.id, "location_id": self.stock.id, "quantity": 30}
        )
        quants = self.env["stock.quant"].search(
            [("product_id", "=", self.component.id), ("location_id", "=", self.stock.id)]
        )
        self.assertEqual(sorted(quants.mapped("quantity")), [30, 500])
        count = COUNT_480
        result = self.run_batch([count])
        self.assertEqual(
            result["results"][0]["result"],
            {"index": 0, "type": "count", "previous": 530, "counted": 480, "difference": -50},
        )
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(self.component, self.stock), 480
        )
        # counted again with nothing changed: no difference
        result = self.run_batch([count])
        self.assertEqual(result["results"][0]["result"]["difference"], 0)

    def test_availability(self):
        status, body, _r = self.api(
            "GET", "/inventory/availability?product=CMP-1&location=WH/STOCK"
        )
        self.assertEqual(status, 200, body)
        self.assertEqual((body["on_hand"], body["available"], body["unit"]), (500, 500, "EA"))
        self.assertProblem(self.api("GET", "/inventory/availability"), 422, "validation-error")
        self.assertProblem(
            self.api("GET", "/inventory/availability?product=NOPE"), 422, "unknown-reference"
        )

    def test_purchase_confirmation_and_receipt(self):
        status, body, _r = self.api(
            "POST",
            "/purchase-orders/SUP-PO-1/confirmations",
            {"status": "accepted", "supplier_reference": "SO-77"},
        )
        self.assertEqual(status, 200, body)
        self.assertEqual((self.order.state, self.order.partner_ref), ("purchase", "SO-77"))
        status, body, _r = self.api(
            "POST",
            "/purchase-orders/SUP-PO-1/confirmations",
            {"status": "changed", "lines": [{"product": "STL-1", "date": "2026-12-24T08:00:00Z"}]},
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(str(self.order.order_line.date_planned), "2026-12-24 08:00:00")
        status, body, _r = self.api(
            "POST",
            "/purchase-orders/SUP-PO-1/confirmations",
            {"status": "rejected", "reason": "No capacity"},
        )
        self.assertEqual(status, 200, body)
        self.assertIn("rejected", self.order.activity_ids.summary)
        # receipt of 60 of 100 kg: a backorder waits for the rest
        status, body, _r = self.api(
            "POST",
            "/receipts",
            {
                "purchase_order": self.order.name,
                "reference": "ASN-1",
                "lines": [{"product": "STL-1", "quantity": 60, "unit": "KGM"}],
            },
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(body["status"], "done")
        self.assertTrue(body["backorder"])
        self.assertEqual(self.order.order_line.qty_received, 60)
        self.assertProblem(
            self.api(
                "POST",
                "/receipts",
                {"purchase_order": "PO-NOPE", "lines": [{"product": "STL-1", "quantity": 1}]},
            ),
            404,
            "not-found",
        )

    def _delivery(self, product, quantity):
        picking_type = self.warehouse.out_type_id
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": self.stock.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "product_uom": product.uom_id.id,
                            "location_id": self.stock.id,
                            "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                        },
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        return picking

    def test_quality_hold_blocks_reservation_and_shipping(self):
        lot_a = self.env["stock.lot"].create({"name": "LOT-H1", "product_id": self.finished.id})
        lot_b = self.env["stock.lot"].create({"name": "LOT-H2", "product_id": self.finished.id})
        self.env["stock.quant"]._update_available_quantity(
            self.finished, self.stock, 5, lot_id=lot_a
        )
        self.env["stock.quant"]._update_available_quantity(
            self.finished, self.stock, 5, lot_id=lot_b
        )
        picking = self._delivery(self.finished, 8)
        self.assertEqual(picking.state, "assigned")
        status, body, _r = self.api(
            "POST", "/quality/holds", {"lot": "LOT-H1", "product": "FG-100", "reason": "Porosity"}
        )
        self.assertEqual(status, 200, body)
        self.assertTrue(lot_a.mfg_hold)
        self.assertEqual(body["open_deliveries"], [picking.name])
        self.assertNotIn(lot_a, picking.move_line_ids.lot_id)
        self.assertEqual(sum(picking.move_ids.mapped("quantity")), 5)
        status, body, _r = self.api(
            "GET", "/inventory/availability?product=FG-100&location=WH/STOCK"
        )
        self.assertEqual((body["on_hold"], body["available"]), (5, 0))
        # a held lot named explicitly cannot be shipped
        body = self.assertProblem(
            self.api(
                "POST",
                f"/shipments/{picking.name}/confirmations",
                {
                    "lines": [
                        {
                            "product": "FG-100",
                            "quantity": 8,
                            "lots": [
                                {"lot": "LOT-H1", "quantity": 3},
                                {"lot": "LOT-H2", "quantity": 5},
                            ],
                        }
                    ]
                },
            ),
            422,
            "business-rule",
        )
        self.assertIn("LOT-H1 is on quality hold", body["detail"])
        self.assertEqual(picking.state, "assigned")
        status, body, _r = self.api(
            "POST", "/quality/releases", {"lot": "LOT-H1", "product": "FG-100"}
        )
        self.assertEqual(status, 200, body)
        self.assertFalse(lot_a.mfg_hold)
        self.assertEqual(sum(picking.move_ids.mapped("quantity")), 8)

    def test_shipment_confirmation(self):
        picking = self._delivery(self.component, 7)
        status, body, _r = self.api(
            "POST",
            f"/shipments/{picking.name}/confirmations",
            {
                "tracking_reference": "1Z999",
                "carrier": "UPS",
                "lines": [{"product": "CMP-1", "quantity": 7}],
            },
        )
        self.assertEqual(status, 200, body)
        self.assertEqual((picking.state, picking.mfg_tracking_ref), ("done", "1Z999"))
        self.assertProblem(
            self.api(
                "POST", f"/shipments/{picking.name}/confirmations", {"tracking_reference": "again"}
            ),
            409,
            "conflict",
        )
        self.assertProblem(
            self.api("POST", "/shipments/WH-OUT-404/confirmations", {}), 404, "not-found"
        )
