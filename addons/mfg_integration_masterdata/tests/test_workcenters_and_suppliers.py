from odoo import fields
from odoo.tests import tagged

from .common import MasterdataCase


@tagged("post_install", "-at_install")
class TestWorkcentersAndSuppliers(MasterdataCase):
    def test_work_center_is_created_then_updated_with_an_event_each_time(self):
        body = {
            "code": "WC-PAINT",
            "name": "Paint shop",
            "capacity": 2,
            "time_efficiency": 90,
            "costs_per_hour": 75.5,
            "setup_minutes": 15,
        }
        status, answer, _r = self.plm_api("/masterdata/work-centers", body)
        self.assertEqual((status, answer["created"]), (200, True), answer)
        workcenter = self.env["mfg.integration.mapping"].resolve_record(
            self.plm, "workcenter", "WC-PAINT"
        )
        self.assertEqual(
            (
                workcenter.name,
                workcenter.code,
                workcenter.default_capacity,
                workcenter.time_efficiency,
                workcenter.costs_hour,
                workcenter.time_start,
            ),
            ("Paint shop", "WC-PAINT", 2, 90, 75.5, 15),
        )
        status, answer, _r = self.plm_api(
            "/masterdata/work-centers", {**body, "costs_per_hour": 90, "active": False}
        )
        self.assertEqual((status, answer["created"]), (200, False), answer)
        self.assertEqual((workcenter.costs_hour, workcenter.active), (90, False))
        events = self.events("masterdata.workcenter.changed.v1", workcenter)
        self.assertEqual(
            [(data["created"], data["costs_per_hour"], data["active"]) for _e, data in events],
            [(True, 75.5, True), (False, 90, False)],
        )
        self.assertEqual(events[0][0]._envelope(self.plm)["data"]["workcenter"]["id"], "WC-PAINT")

    def test_a_replenishment_buys_from_the_plm_supplier_at_its_price(self):
        self.item("PN-500", name="Bearing", make_or_buy="buy")
        product = self.product("PN-500")
        currency = self.env.company.currency_id.name
        # a supplier Odoo knew before, dearer
        self.env["product.supplierinfo"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Old supplier"}).id,
                "product_tmpl_id": product.product_tmpl_id.id,
                "price": 20,
            }
        )
        terms = {
            "supplier": {"id": "SUP-77", "name": "Precision Bearings"},
            "product": "PN-500",
            "supplier_product_code": "PB-6204",
            "supplier_product_name": "Deep groove bearing 6204",
            "price": 12.5,
            "currency": currency,
            "min_quantity": 1,
            "lead_time_days": 9,
        }
        status, answer, _r = self.plm_api("/masterdata/supplier-terms", terms)
        self.assertEqual((status, answer["created"]), (200, True), answer)
        # a price break from 100 pieces, and a cheaper one that starts next month
        next_month = fields.Date.add(fields.Date.today(), months=1)
        for values in (
            {"min_quantity": 100, "price": 11},
            {"min_quantity": 100, "price": 9, "valid_from": str(next_month)},
        ):
            status, answer, _r = self.plm_api("/masterdata/supplier-terms", {**terms, **values})
            self.assertEqual((status, answer["created"]), (200, True), answer)
        # the same terms again update the break they name
        status, answer, _r = self.plm_api("/masterdata/supplier-terms", {**terms, "price": 12.0})
        self.assertEqual((status, answer["created"]), (200, False), answer)
        supplier = self.env["mfg.integration.mapping"].resolve_record(
            self.plm, "supplier", "SUP-77"
        )
        sellers = product.seller_ids.filtered(lambda s: s.partner_id == supplier)
        self.assertEqual(
            sorted(sellers.mapped(lambda s: (s.min_qty, s.price, s.product_code, s.delay))),
            [(1, 12.0, "PB-6204", 9), (100, 9, "PB-6204", 9), (100, 11, "PB-6204", 9)],
        )

        Group = self.env["procurement.group"]
        Group.run(
            [
                Group.Procurement(
                    product,
                    150,
                    product.uom_id,
                    self.stock,
                    "Replenish PN-500",
                    "test",
                    self.company,
                    {"warehouse_id": self.warehouse},
                )
            ]
        )
        line = self.env["purchase.order.line"].search([("product_id", "=", product.id)])
        self.assertEqual(
            (line.order_id.partner_id, line.product_qty, line.price_unit),
            (supplier, 150, 11),
        )
        self.assertIn("PB-6204", line.name)

    def test_bad_supplier_terms_are_refused_naming_the_field(self):
        status, body, _r = self.item("PN-500", name="Bearing")
        self.assertEqual(status, 200, body)
        terms = {
            "supplier": {"id": "SUP-88"},
            "product": "PN-500",
            "price": 1,
            "currency": self.env.company.currency_id.name,
        }
        inactive = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("active", "=", False)], limit=1)
        )
        for values, slug, pointer in (
            ({}, "unknown-reference", "/supplier/name"),
            (
                {"currency": "QQQ", "supplier": {"id": "SUP-88", "name": "X"}},
                "business-rule",
                "/currency",
            ),
            (
                {"currency": inactive.name, "supplier": {"id": "SUP-88", "name": "X"}},
                "business-rule",
                "/currency",
            ),
            (
                {
                    "supplier": {"id": "SUP-88", "name": "X"},
                    "valid_from": "2026-02-01",
                    "valid_to": "2026-01-01",
                },
                "business-rule",
                "/valid_to",
            ),
            ({"product": "PN-404"}, "unknown-reference", "/product"),
        ):
            with self.subTest(pointer=pointer, values=values):
                body = self.assertProblem(
                    self.plm_api("/masterdata/supplier-terms", {**terms, **values}), 422, slug
                )
                self.assertEqual(body["errors"][0]["pointer"], pointer)
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "SUP-88")]))
