from odoo.tests import tagged

from odoo.addons.mfg_integration_mrp.tests.common import ApiCase


@tagged("post_install", "-at_install")
class TestInboundExceptions(ApiCase):
    def test_unmapped_unit_then_mapping_then_retry_resolves(self):
        move = {
            "type": "count",
            "product": "CMP-1",
            "quantity": 10,
            "unit": "LBR",
            "location": "WH/STOCK",
        }
        result = self.run_batch([move, {**move, "quantity": 11}])
        self.assertEqual(result["status"], "failed")
        exception = self.env["mfg.integration.exception"].search(
            [("category", "=", "unmapped_code")]
        )
        self.assertEqual(len(exception), 1, "one exception per unmapped code, not per item")
        self.assertEqual(exception.occurrence_count, 2)
        self.assertEqual(
            exception.name, "MES-01 sent uom code 'LBR', which has no mapping in value map 'uom'."
        )
        self.assertEqual(exception.system_id, self.mes)
        item = exception.source_ref
        self.assertEqual(item.state, "failed")
        # the planner adds the missing mapping, then retries
        uom_map = self.env["mfg.integration.value.map"].search(
            [("system_id", "=", self.mes.id), ("domain", "=", "uom")]
        )
        uom_map.line_ids = [
            (
                0,
                0,
                {
                    "external_code": "LBR",
                    "canonical_value": "unit",
                    "record_ref": f"uom.uom,{self.uom_unit.id}",
                },
            )
        ]
        exception.action_retry()
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(item.state, "done")
        # the retry reprocessed both failed items, not only the first
        self.assertEqual(item.request_id.state, "done")
        self.assertEqual([o.source_ref.state for o in exception.occurrence_ids], ["done", "done"])
