import json

from jsonschema import Draft202012Validator

from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged


class TestOutboundEvents(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", env.company.id)], limit=1
        )
        cls.stock = cls.warehouse.lot_stock_id
        Product = env["product.product"]
        cls.finished = Product.create({"name": "Pump", "is_storable": True, "tracking": "lot"})
        cls.component = Product.create({"name": "Impeller", "is_storable": True})
        cls.workcenter = env["mrp.workcenter"].create({"name": "Line 1"})
        env["mrp.bom"].create(
            {
                "product_tmpl_id": cls.finished.product_tmpl_id.id,
                "bom_line_ids": [(0, 0, {"product_id": cls.component.id, "product_qty": 1})],
                "operation_ids": [(0, 0, {"name": "Assemble", "workcenter_id": cls.workcenter.id})],
            }
        )
        env["stock.quant"]._update_available_quantity(cls.component, cls.stock, 100)
        cls.mes = env["mfg.integration.system"].create({"code": "MES-01", "name": "MES"})
        env["mfg.integration.xref"].create(
            {
                "system_id": cls.mes.id,
                "object_type_id": env.ref("mfg_integration_mrp.object_type_product").id,
                "external_id": "FG-PUMP",
                "res_id": cls.finished.id,
            }
        )
        cls.user = new_test_user(
            env,
            login="planner_ev",
            groups="mrp.group_mrp_user,stock.group_stock_manager,purchase.group_purchase_user",
        )

    def events(self, type_name):
        return self.env["mfg.integration.event"].search([("type", "=", type_name)], order="id")

    def assertValidEvent(self, event):
        # the schema a receiver gets from the event's dataschema URI
        schema = event.type_id._served_schema()
        data = json.loads(event.data)
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(data)]
        self.assertEqual(errors, [], event.type)
        envelope = event._envelope()
        for attribute in (
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            "dataschema",
        ):
            self.assertTrue(envelope[attribute], attribute)
        return data

    def _production(self, quantity=2):
        form = (
            self.env["mrp.production"]
            .with_user(self.user)
            .create({"product_id": self.finished.id, "product_qty": quantity})
        )
        return form

    def test_production_life_cycle(self):
        production = self._production()
        production.action_confirm()
        confirmed = self.events("mrp.production.confirmed.v1")
        self.assertEqual(len(confirmed), 1)
        data = self.assertValidEvent(confirmed)
        self.assertEqual(data["production"]["reference"], production.name)
        # the MES sees its own product id
        envelope = confirmed._envelope(self.mes)
        self.assertEqual(envelope["data"]["product"]["id"], "FG-PUMP")
        self.assertIsNone(envelope["data"]["production"]["id"])
        workorder = production.workorder_ids
        workorder.button_start()
        self.assertValidEvent(self.events("mrp.production.released.v1"))
        self.assertValidEvent(self.events("mrp.workorder.started.v1"))
        workorder.button_pending()
        self.assertValidEvent(self.events("mrp.workorder.paused.v1"))
        production.lot_producing_id = self.env["stock.lot"].create(
            {"name": "P-1", "product_id": self.finished.id}
        )
        production.qty_producing = 2
        production._set_qty_producing()
        production.button_mark_done()
        self.assertValidEvent(self.events("mrp.workorder.done.v1"))
        done = self.assertValidEvent(self.events("mrp.production.done.v1"))
        self.assertEqual(done["produced_quantity"], 2)
        self.assertEqual(done["finished_lots"][0]["lot"]["reference"], "P-1")
        subject_events = self.env["mfg.integration.event"].search(
            [("subject", "=", f"mrp.production/{production.name}")], order="id"
        )
        self.assertEqual(subject_events.mapped("sequence"), list(range(1, len(subject_events) + 1)))

    def test_cancel_and_rollback(self):
        production = self._production()
        production.action_confirm()
        production.action_cancel()
        self.assertValidEvent(self.events("mrp.production.cancelled.v1"))
        before = self.env["mfg.integration.event"].search_count([])
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self._production().action_confirm()
            raise RuntimeError("the change fails")
        self.assertEqual(self.env["mfg.integration.event"].search_count([]), before)

    def test_pickings_inventory_and_lots(self):
        customers = self.env.ref("stock.stock_location_customers")
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "location_id": self.stock.id,
                "location_dest_id": customers.id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "x",
                            "product_id": self.component.id,
                            "product_uom_qty": 3,
                            "product_uom": self.component.uom_id.id,
                            "location_id": self.stock.id,
                            "location_dest_id": customers.id,
                        },
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        shipped = self.assertValidEvent(self.events("stock.shipment.validated.v1"))
        self.assertEqual(shipped["lines"][0]["quantity"], 3)
        quant = (
            self.env["stock.quant"]
            .with_context(inventory_mode=True)
            .search([("product_id", "=", self.component.id), ("location_id", "=", self.stock.id)])
        )
        quant.inventory_quantity = 90
        quant.action_apply_inventory()
        adjusted = self.assertValidEvent(self.events("stock.inventory.adjusted.v1"))
        self.assertEqual((adjusted["previous_quantity"], adjusted["counted_quantity"]), (97, 90))
        lot = self.env["stock.lot"].create({"name": "L-HOLD", "product_id": self.finished.id})
        lot._mfg_put_on_hold("Porosity")
        lot._mfg_release_hold("OK")
        self.assertTrue(self.assertValidEvent(self.events("stock.lot.held.v1"))["on_hold"])
        self.assertFalse(self.assertValidEvent(self.events("stock.lot.released.v1"))["on_hold"])

    def test_purchase_and_receipt(self):
        supplier = self.env["res.partner"].create({"name": "Impeller Co"})
        order = self.env["purchase.order"].create(
            {
                "partner_id": supplier.id,
                "order_line": [
                    (0, 0, {"product_id": self.component.id, "product_qty": 10, "price_unit": 3})
                ],
            }
        )
        order.button_confirm()
        self.assertValidEvent(self.events("purchase.order.confirmed.v1"))
        order.order_line.product_qty = 12
        changed = self.assertValidEvent(self.events("purchase.order.changed.v1"))
        self.assertEqual(changed["lines"][0]["quantity"], 12)
        receipt = order.picking_ids
        receipt.move_ids.quantity = 12
        receipt.move_ids.picked = True
        receipt.button_validate()
        received = self.assertValidEvent(self.events("stock.receipt.validated.v1"))
        self.assertEqual(received["purchase_order"]["reference"], order.name)

    def test_variance_event(self):
        production = self._production(10)
        production.action_confirm()
        variance = self.env["mfg.integration.production.variance"]._record(
            production, 7, 0, self.mes
        )
        self.assertTrue(variance)
        data = self.assertValidEvent(self.events("mrp.production.variance.v1"))
        self.assertEqual(data["variance_percent"], -30)


def _refs(node):
    """Every $ref of a JSON Schema document."""
    if isinstance(node, dict):
        yield from [node["$ref"]] if "$ref" in node else []
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


@tagged("post_install", "-at_install")
class TestServedSchemas(HttpCase):
    def test_every_served_schema_is_a_self_contained_2020_12_document(self):
        event_types = self.env["mfg.integration.event.type"].search([])
        self.assertIn("recordReference", event_types[:1]._served_schema()["$defs"])
        for event_type in event_types:
            response = self.url_open(f"/api/mfg/v1/events/schemas/{event_type.name}")
            self.assertEqual(response.status_code, 200, event_type.name)
            schema = response.json()
            self.assertEqual(schema, event_type._served_schema())
            self.assertEqual(schema["$schema"], "https://json-schema.org/draft/2020-12/schema")
            Draft202012Validator.check_schema(schema)
            for ref in _refs(schema):
                self.assertTrue(ref.startswith("#/$defs/"), ref)
                self.assertIn(ref.removeprefix("#/$defs/"), schema["$defs"], event_type.name)

    def test_a_shared_definition_is_written_once(self):
        """The record reference lives in core; the catalog's schemas refer to it."""
        production_done = self.env.ref("mfg_integration_mrp.event_type_mrp_production_done_v1")
        stored = json.loads(production_done.payload_schema)
        self.assertEqual(stored["properties"]["production"], {"$ref": "#/$defs/recordReference"})
        self.assertNotIn("$defs", stored)
