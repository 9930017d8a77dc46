from odoo.tests import tagged

from .common import MasterdataCase


@tagged("post_install", "-at_install")
class TestItems(MasterdataCase):
    def test_item_is_created_then_revised_without_breaking_its_open_order(self):
        status, body, _r = self.item(
            "PN-1000",
            "A",
            name="Gearbox housing",
            description="Cast aluminium",
            category="MECH",
            tracking="lot",
            make_or_buy="make",
            weight=4.2,
            barcode="4006381333931",
            change_number="ECN-1",
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(
            (body["created"], body["changed"], body["previous_revision"]), (True, True, None)
        )
        product = self.product("PN-1000")
        template = product.product_tmpl_id
        self.assertEqual(
            (
                product.name,
                product.default_code,
                product.categ_id,
                product.tracking,
                product.is_storable,
                product.weight,
                product.barcode,
                template.mfg_revision,
            ),
            ("Gearbox housing", "PN-1000", self.category, "lot", True, 4.2, "4006381333931", "A"),
        )
        self.assertIn(self.env.ref("mrp.route_warehouse0_manufacture"), product.route_ids)
        # an open manufacturing order of the item, made from revision A
        production = self.env["mrp.production"].create(
            {
                "product_id": product.id,
                "product_qty": 5,
                "bom_id": self.env["mrp.bom"]
                .create(
                    {
                        "product_tmpl_id": template.id,
                        "bom_line_ids": [
                            (0, 0, {"product_id": self.component.id, "product_qty": 2})
                        ],
                    }
                )
                .id,
            }
        )
        production.action_confirm()
        moves = production.move_raw_ids | production.move_finished_ids

        status, body, _r = self.item(
            "PN-1000",
            "B",
            name="Gearbox housing, ribbed",
            category="MECH",
            make_or_buy="buy",
            weight=4.5,
            change_number="ECN-2",
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(
            (body["created"], body["changed"], body["previous_revision"]), (False, True, "A")
        )
        self.assertEqual(self.product("PN-1000"), product, "the same product, revised")
        self.assertEqual(
            (product.name, product.weight, product.tracking, template.mfg_revision),
            ("Gearbox housing, ribbed", 4.5, "lot", "B"),
            "what the revision leaves out (tracking) keeps its value",
        )
        self.assertIn(self.env.ref("purchase_stock.route_warehouse0_buy"), product.route_ids)
        self.assertNotIn(self.env.ref("mrp.route_warehouse0_manufacture"), product.route_ids)
        self.assertEqual(production.state, "confirmed")
        self.assertEqual(production.move_raw_ids | production.move_finished_ids, moves)
        self.assertEqual(set(moves.mapped("state")) - {"confirmed", "assigned"}, set())
        # the revision history on the product, and its chatter
        self.assertEqual(
            template.mfg_revision_ids.mapped(
                lambda r: (r.revision, r.previous_revision, r.change_number)
            ),
            [("B", "A", "ECN-2"), ("A", False, "ECN-1")],
        )
        self.assertIn("Revision B from PLM-01", template.message_ids[0].body)
        # one event per change, the subscriber's own id in it
        events = self.events("masterdata.item.changed.v1", template)
        self.assertEqual([data["revision"] for _e, data in events], ["A", "B"])
        event, data = events[-1]
        self.assertEqual(
            (data["previous_revision"], data["make_or_buy"], data["change_number"]),
            ("A", "buy", "ECN-2"),
        )
        self.assertEqual(event._envelope(self.plm)["data"]["product"]["id"], "PN-1000")
        self.xref(self.mes, "product", "MES-HSG", product)
        self.assertEqual(event._envelope(self.mes)["data"]["product"]["id"], "MES-HSG")

        # a unit change on an item with stock moves is refused, naming the field
        body = self.assertProblem(self.item("PN-1000", "C", unit="KGM"), 422, "business-rule")
        self.assertEqual(body["errors"][0]["pointer"], "/unit")
        # an older revision is refused as a conflict, and changes nothing
        body = self.assertProblem(self.item("PN-1000", "A.9", name="Old"), 409, "conflict")
        self.assertEqual(body["errors"][0]["pointer"], "/revision")
        self.assertEqual((product.name, template.mfg_revision), ("Gearbox housing, ribbed", "B"))
        self.assertEqual(len(template.mfg_revision_ids), 2)
        # the same revision again corrects the item without a new history row
        status, body, _r = self.item("PN-1000", "B", name="Gearbox housing, ribbed (2)")
        self.assertEqual((status, body["changed"]), (200, False))
        self.assertEqual(len(template.mfg_revision_ids), 2)

    def test_unmapped_codes_are_refused_and_nothing_is_created(self):
        before = self.env["product.template"].search_count([])
        body = self.assertProblem(self.item("PN-2000", unit="LBR"), 422, "unmapped-code")
        self.assertEqual(body["errors"][0]["pointer"], "/unit")
        body = self.assertProblem(self.item("PN-2000", category="ELEC"), 422, "unmapped-code")
        self.assertEqual(body["errors"][0]["pointer"], "/category")
        body = self.assertProblem(
            self.item("PN-2000", type="service", tracking="serial"), 422, "business-rule"
        )
        self.assertEqual(body["errors"][0]["pointer"], "/tracking")
        body = self.assertProblem(self.item("PN-2000", weight=-1), 422, "validation-error")
        self.assertEqual(body["errors"][0]["pointer"], "/weight")
        self.assertEqual(self.env["product.template"].search_count([]), before)

    def test_revision_order(self):
        from ..commands.common import revision_key

        ordered = ["1", "2", "10", "A", "A.2", "A.10", "B", "Z", "AA"]
        self.assertEqual(sorted(reversed(ordered), key=revision_key), ordered)

    def test_the_scope_is_needed(self):
        self.assertProblem(
            self.api(
                "POST",
                "/masterdata/items",
                {"part_number": "X", "revision": "A", "name": "X", "unit": "EA"},
            ),
            403,
            "forbidden",
        )
