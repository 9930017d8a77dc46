from odoo.tests import tagged

from .common import INCIDENT_LOGGER, MasterdataCase


def item(part_number, **values):
    return {
        "kind": "item",
        "data": {
            "part_number": part_number,
            "revision": "A",
            "name": part_number,
            "unit": "EA",
            **values,
        },
    }


def bom(parent, components, revision="A"):
    return {
        "kind": "bom",
        "data": {
            "parent": parent,
            "revision": revision,
            "quantity": 1,
            "unit": "EA",
            "operations": [{"code": "OP10", "workcenter": "WC-LOAD", "duration_minutes": 5}],
            "lines": [
                {"component": component, "quantity": 2, "operation": "OP10"}
                for component in components
            ],
        },
    }


@tagged("post_install", "-at_install")
class TestLoads(MasterdataCase):
    def test_a_load_of_interdependent_records_is_applied_in_order_record_by_record(self):
        records = [
            {"kind": "workcenter", "data": {"code": "WC-LOAD", "name": "Load line"}},
            item("LD-200", make_or_buy="buy"),
            item("LD-300"),
            item("LD-100", make_or_buy="make"),
            # names items created by earlier records of the same load
            bom("LD-100", ["LD-200", "LD-300"]),
            {
                "kind": "supplier_terms",
                "data": {
                    "supplier": {"id": "SUP-LD", "name": "Load supplier"},
                    "product": "LD-200",
                    "price": 3,
                    "currency": self.env.company.currency_id.name,
                },
            },
            item("LD-400", unit="LBR"),  # 6: unmapped unit
            bom("LD-300", ["LD-404"]),  # 7: unknown component
            bom("LD-200", ["LD-100"]),  # 8: LD-100 contains LD-200: a cycle
            bom("LD-100", ["LD-200"], revision="0"),  # 9: older than A
            {"kind": "item", "data": {"part_number": "LD-500"}},  # 10: no revision, name, unit
        ]
        with self.assertLogs(INCIDENT_LOGGER, "WARNING") as logs:
            result = self.run_load(records)
        self.assertEqual(
            (result["status"], result["items"], result["done"], result["failed"]),
            ("partial", 11, 6, 5),
        )
        outcomes = {r["index"]: r for r in result["results"]}
        self.assertEqual(
            [outcomes[index]["result"]["kind"] for index in range(6)],
            ["workcenter", "item", "item", "item", "bom", "supplier_terms"],
        )
        self.assertEqual(outcomes[4]["result"]["status"], "released")
        problems = {
            index: (
                outcomes[index]["problem"]["type"].rsplit("/", 1)[1],
                outcomes[index]["problem"]["errors"][0]["pointer"],
            )
            for index in range(6, 11)
        }
        self.assertEqual(
            problems,
            {
                6: ("unmapped-code", "/records/6/data/unit"),
                7: ("unknown-reference", "/records/7/data/lines/0/component"),
                8: ("business-rule", "/records/8/data/lines/0/component"),
                9: ("conflict", "/records/9/data/revision"),
                10: ("validation-error", "/records/10/data"),
            },
        )
        self.assertIn(
            "'revision' is a required property", outcomes[10]["problem"]["errors"][0]["detail"]
        )
        # what the load made
        parent = self.product("LD-100")
        active_bom = self.env["mrp.bom"]._bom_find(parent)[parent]
        self.assertEqual(
            active_bom.bom_line_ids.product_id, self.product("LD-200") | self.product("LD-300")
        )
        self.assertEqual(active_bom.operation_ids.workcenter_id.code, "WC-LOAD")
        self.assertEqual(self.product("LD-200").seller_ids.price, 3)
        # one incident per failing record, in its category
        categories = [line.split("]")[0].split("[")[-1] for line in logs.output]
        self.assertEqual(
            categories,
            ["unmapped_code", "unknown_reference", "bom_cycle", "stale_update", "validation_error"],
        )

    def test_a_failed_record_is_applied_by_retry_once_its_cause_is_fixed(self):
        with self.assertLogs(INCIDENT_LOGGER, "WARNING"):
            result = self.run_load([item("LD-600", unit="LBR")])
        self.assertEqual(result["status"], "failed")
        record = self.env["mfg.integration.api.request.item"].browse(
            self.env["mfg.integration.api.request"].browse(result["id"]).item_ids.ids
        )
        self.env["mfg.integration.value.map"].search(
            [("system_id", "=", self.plm.id), ("domain", "=", "uom")]
        ).line_ids = [(0, 0, {"external_code": "LBR", "record_ref": f"uom.uom,{self.uom_unit.id}"})]
        self.assertTrue(record._integration_retry())
        self.assertEqual(record.request_id.state, "done")
        self.assertEqual(self.product("LD-600").uom_id, self.uom_unit)

    def test_supplier_terms_in_a_load_need_their_scope(self):
        client, key = self._client_with_key(
            "PLM without supplier terms", ["masterdata:write"], system_id=self.plm.id
        )
        with self.assertLogs(INCIDENT_LOGGER, "WARNING"):
            result = self.run_load(
                [
                    item("LD-700"),
                    {
                        "kind": "supplier_terms",
                        "data": {
                            "supplier": {"id": "S", "name": "S"},
                            "product": "LD-700",
                            "price": 1,
                            "currency": "EUR",
                        },
                    },
                ],
                key=key,
                client=client,
            )
        self.assertEqual([r["status"] for r in result["results"]], ["done", "failed"])
        self.assertEqual(result["results"][1]["problem"]["type"], "/api/mfg/v1/problems/forbidden")
