from odoo.tests import tagged

from .common import ApiCase

INCIDENT_LOGGER = "odoo.addons.mfg_integration_core.models.incident"


@tagged("post_install", "-at_install")
class TestIncidentSources(ApiCase):
    """What manufacturing and its inbound batches report to core's incident
    service (the exception app, when installed, opens exceptions from it)."""

    def test_variance_is_reported_with_its_production(self):
        production = self.env["mrp.production"].create(
            {"product_id": self.finished.id, "product_qty": 10}
        )
        with self.assertLogs(INCIDENT_LOGGER, "WARNING") as logs:
            self.env["mfg.integration.production.variance"]._record(production, 7, 0, self.mes)
        [line] = logs.output
        self.assertIn("[production_variance] MES-01: ", line)
        self.assertIn(f"{production.name}: 7 produced for 10 planned (-30.0%", line)
        self.assertIn(f"(key {production.id}, source mfg.integration.production.variance[", line)

    def test_failed_batch_item_is_reported_and_retried(self):
        move = {"type": "count", "product": "CMP-1", "quantity": 10, "unit": "LBR"}
        move["location"] = "WH/STOCK"
        with self.assertLogs(INCIDENT_LOGGER, "WARNING") as logs:
            self.assertEqual(self.run_batch([move])["status"], "failed")
        item = self.env["mfg.integration.api.request.item"].search([], order="id desc", limit=1)
        [line] = logs.output
        self.assertIn("[unmapped_code] MES-01: MES-01 sent uom code 'LBR'", line)
        self.assertIn(f"(key uom|LBR, source mfg.integration.api.request.item[{item.id}]", line)
        self.assertFalse(item._integration_retry(), "still unmapped: it fails again")
        self.assertFalse(item._integration_succeeded())
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
        self.assertTrue(item._integration_retry())
        self.assertTrue(item._integration_succeeded())
        self.assertEqual(item.request_id.state, "done")
