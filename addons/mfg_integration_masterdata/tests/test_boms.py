from odoo import fields
from odoo.tests import tagged

from .common import MasterdataCase


@tagged("post_install", "-at_install")
class TestBoms(MasterdataCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.gearbox = Product.create({"name": "Gearbox", "is_storable": True})
        cls.shaft = Product.create({"name": "Shaft", "is_storable": True})
        cls.bolt = Product.create({"name": "Bolt", "is_storable": True})
        for part_number, product in (
            ("PN-100", cls.gearbox),
            ("PN-200", cls.shaft),
            ("PN-300", cls.bolt),
        ):
            cls.xref(cls.plm, "product", part_number, product)
        cls.xref(cls.plm, "workcenter", "WC-ASSY", cls.workcenter)
        cls.xref(cls.mes, "product", "MES-SHAFT", cls.shaft)

    def revision(self, revision, lines=None, **values):
        body = {
            "parent": "PN-100",
            "revision": revision,
            "quantity": 1,
            "unit": "EA",
            "change_number": f"ECN-{revision}",
            "change_reason": f"Why {revision}",
            "operations": [
                {
                    "code": "OP10",
                    "name": "Assemble",
                    "workcenter": "WC-ASSY",
                    "duration_minutes": 12,
                }
            ],
            "lines": lines
            or [
                {"component": "PN-200", "quantity": 1, "operation": "OP10"},
                {"component": "PN-300", "quantity": 4, "unit": "EA"},
            ],
            **values,
        }
        return self.plm_api("/masterdata/boms", body)

    def boms(self):
        return (
            self.env["mrp.bom"]
            .with_context(active_test=False)
            .search([("product_tmpl_id", "=", self.gearbox.product_tmpl_id.id)], order="id")
        )

    def test_a_released_revision_replaces_the_active_bom_and_open_orders_keep_theirs(self):
        status, body, _r = self.revision("A")
        self.assertEqual(status, 200, body)
        self.assertEqual((body["status"], body["previous_revision"]), ("released", None))
        bom_a = self.boms()
        self.assertEqual(
            (bom_a.active, bom_a.mfg_revision, bom_a.mfg_change_number, bom_a.mfg_change_reason),
            (True, "A", "ECN-A", "Why A"),
        )
        self.assertEqual(bom_a.bom_line_ids.mapped("product_qty"), [1, 4])
        self.assertEqual(bom_a.bom_line_ids[0].operation_id, bom_a.operation_ids)
        self.assertEqual(
            (bom_a.operation_ids.workcenter_id, bom_a.operation_ids.time_cycle_manual),
            (self.workcenter, 12),
        )
        self.assertIn("ECN-A", "".join(bom_a.message_ids.mapped("body")))
        production = self.env["mrp.production"].create(
            {"product_id": self.gearbox.id, "product_qty": 3}
        )
        self.assertEqual(production.bom_id, bom_a)
        production.action_confirm()
        raw_moves = production.move_raw_ids

        status, body, _r = self.revision(
            "B",
            lines=[{"component": "PN-200", "quantity": 2}, {"component": "PN-300", "quantity": 6}],
        )
        self.assertEqual(status, 200, body)
        self.assertEqual((body["status"], body["previous_revision"]), ("released", "A"))
        bom_a_again, bom_b = self.boms()
        self.assertEqual(bom_a_again, bom_a, "archived, never deleted")
        self.assertEqual(
            (bom_a.active, bom_a.mfg_release_state, bom_b.active, bom_b.mfg_release_state),
            (False, "superseded", True, "released"),
        )
        self.assertIn("Superseded by revision B (change ECN-B)", bom_a.message_ids[0].body)
        # the open order keeps revision A and its components
        self.assertEqual((production.bom_id, production.move_raw_ids), (bom_a, raw_moves))
        self.assertEqual(raw_moves.mapped("product_uom_qty"), [3, 12])
        new_order = self.env["mrp.production"].create(
            {"product_id": self.gearbox.id, "product_qty": 1}
        )
        self.assertEqual(new_order.bom_id, bom_b)
        # the release event, in each subscriber's own ids
        [(event, data)] = self.events("masterdata.bom.released.v1", bom_b)
        self.assertEqual(
            (data["revision"], data["previous_revision"], data["change_number"]),
            ("B", "A", "ECN-B"),
        )
        self.assertEqual([line["quantity"] for line in data["lines"]], [2, 6])
        self.assertEqual(event._envelope(self.plm)["data"]["lines"][0]["component"]["id"], "PN-200")
        self.assertEqual(
            event._envelope(self.mes)["data"]["lines"][0]["component"]["id"], "MES-SHAFT"
        )
        self.assertEqual(
            event._envelope(self.mes)["data"]["operations"][0]["work_center"]["id"], "WC-ASSY"
        )

        # the same revision again changes nothing; an older one is a conflict
        status, body, _r = self.revision("B")
        self.assertEqual((status, body["changed"]), (200, False))
        body = self.assertProblem(self.revision("A.1"), 409, "conflict")
        self.assertEqual(body["errors"][0]["pointer"], "/revision")
        self.assertIn("older than revision B", body["detail"])
        self.assertEqual(len(self.boms()), 2)

    def test_a_revision_waits_for_its_effective_date(self):
        self.revision("A")
        tomorrow = fields.Date.add(fields.Date.today(), days=1)
        status, body, _r = self.revision("B", effective_date=str(tomorrow))
        self.assertEqual((status, body["status"]), (200, "scheduled"), body)
        bom_a, bom_b = self.boms()
        self.assertEqual((bom_a.active, bom_b.active), (True, False))
        self.assertFalse(self.events("masterdata.bom.released.v1", bom_b))
        Bom = self.env["mrp.bom"]
        self.assertEqual(Bom._mfg_release_due(), 0, "not due yet")
        bom_b.mfg_effective_date = fields.Date.today()
        self.assertEqual(Bom._mfg_release_due(), 1)
        self.assertEqual(
            (bom_a.active, bom_a.mfg_release_state, bom_b.active, bom_b.mfg_release_state),
            (False, "superseded", True, "released"),
        )
        self.assertEqual(len(self.events("masterdata.bom.released.v1", bom_b)), 1)

    def test_cycles_are_refused_naming_the_line(self):
        # the shaft's own BoM contains the gearbox: a gearbox made of shafts is a cycle
        self.env["mrp.bom"].create(
            {
                "product_tmpl_id": self.shaft.product_tmpl_id.id,
                "bom_line_ids": [(0, 0, {"product_id": self.gearbox.id, "product_qty": 1})],
            }
        )
        body = self.assertProblem(self.revision("A"), 422, "business-rule")
        self.assertEqual(body["errors"][0]["pointer"], "/lines/0/component")
        self.assertIn("Gearbox → Shaft → Gearbox", body["detail"])
        body = self.assertProblem(
            self.revision(
                "A",
                lines=[
                    {"component": "PN-300", "quantity": 1},
                    {"component": "PN-100", "quantity": 1},
                ],
            ),
            422,
            "business-rule",
        )
        self.assertEqual(body["errors"][0]["pointer"], "/lines/1/component")
        self.assertFalse(self.boms())

    def test_unknown_references_are_refused_naming_the_field(self):
        cases = [
            (
                [{"component": "PN-404", "quantity": 1}],
                {},
                "unknown-reference",
                "/lines/0/component",
            ),
            (
                [{"component": "PN-200", "quantity": 1, "unit": "LBR"}],
                {},
                "unmapped-code",
                "/lines/0/unit",
            ),
            (
                [{"component": "PN-200", "quantity": 1, "unit": "KGM"}],
                {},
                "business-rule",
                "/lines/0/unit",
            ),
            (
                [{"component": "PN-200", "quantity": 1, "operation": "OP99"}],
                {},
                "validation-error",
                "/lines/0/operation",
            ),
            (
                None,
                {"operations": [{"code": "OP10", "workcenter": "WC-404", "duration_minutes": 1}]},
                "unknown-reference",
                "/operations/0/workcenter",
            ),
            (None, {"parent": "PN-404"}, "unknown-reference", "/parent"),
        ]
        for lines, values, slug, pointer in cases:
            with self.subTest(pointer=pointer):
                body = self.assertProblem(self.revision("A", lines=lines, **values), 422, slug)
                self.assertEqual(body["errors"][0]["pointer"], pointer)
        self.assertFalse(self.boms())
