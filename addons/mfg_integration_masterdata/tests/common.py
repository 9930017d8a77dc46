import json

from odoo.tests import tagged

from odoo.addons.mfg_integration_mrp.tests.common import ApiCase
from odoo.addons.queue_job.job import Job

INCIDENT_LOGGER = "odoo.addons.mfg_integration_core.models.incident"


@tagged("post_install", "-at_install")
class MasterdataCase(ApiCase):
    """The plant of the manufacturing tests, a PLM (PLM-01) with its unit and
    category codes, and its API client with a real key."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.plm = env["mfg.integration.system"].create(
            {"code": "PLM-01", "name": "PLM", "kind": "plm", "warehouse_id": cls.warehouse.id}
        )
        cls.category = env["product.category"].create({"name": "Mechanical parts"})
        ValueMap = env["mfg.integration.value.map"]
        ValueMap.create(
            {
                "system_id": cls.plm.id,
                "domain": "uom",
                "target_model": "uom.uom",
                "line_ids": [
                    (0, 0, {"external_code": code, "record_ref": f"uom.uom,{uom.id}"})
                    for code, uom in (("EA", cls.uom_unit), ("KGM", cls.uom_kg))
                ],
            }
        )
        ValueMap.create(
            {
                "system_id": cls.plm.id,
                "domain": "product.category",
                "target_model": "product.category",
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "external_code": "MECH",
                            "record_ref": f"product.category,{cls.category.id}",
                        },
                    )
                ],
            }
        )
        cls.plm_client, cls.plm_key = cls._client_with_key(
            "PLM client",
            ["masterdata:write", "supplier_terms:write"],
            system_id=cls.plm.id,
        )
        cls.types = {t.code: t for t in env["mfg.integration.object.type"].search([])}

    def setUp(self):
        super().setUp()
        # the identifier links that the mapping engine keeps for the cursor's
        # transaction outlive a test's rolled-back savepoint: forget them
        self.addCleanup(self.env["mfg.integration.mapping"]._forget_links)

    @classmethod
    def xref(cls, system, object_type, external_id, record):
        return cls.env["mfg.integration.xref"].create(
            {
                "system_id": system.id,
                "object_type_id": cls.types[object_type].id,
                "external_id": external_id,
                "res_id": record.id,
            }
        )

    def plm_api(self, path, body, key=None):
        return self.api("POST", path, body, key=key or self.plm_key)

    def item(self, part_number, revision="A", **values):
        body = {"part_number": part_number, "revision": revision, "name": part_number, "unit": "EA"}
        return self.plm_api("/masterdata/items", {**body, **values})

    def product(self, part_number):
        return self.env["mfg.integration.mapping"].resolve_record(self.plm, "product", part_number)

    def events(self, type_name, record):
        """The events of a type about a record, oldest first, as (event, data)."""
        events = self.env["mfg.integration.event"].search(
            [
                ("type", "=", type_name),
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
            ],
            order="id",
        )
        return [(event, json.loads(event.data)) for event in events]

    def run_load(self, records, key=None, client=None):
        """POST a load, run its stored job as the job runner would, return its status."""
        status, body, response = self.plm_api("/masterdata/loads", {"records": records}, key=key)
        self.assertEqual(status, 202, body)
        request = self.env["mfg.integration.api.request"].browse(body["id"])
        stored = self.env["queue.job"].search([("uuid", "=", request.job_uuid)])
        self.assertEqual(stored.user_id, (client or self.plm_client).technical_user_id)
        job = Job.load(self.env, stored.uuid)
        job.set_started()
        job.perform()
        job.set_done()
        job.store()
        status, result, _r = self.api(
            "GET", body["status_url"].removeprefix("/api/mfg/v1"), key=key or self.plm_key
        )
        self.assertEqual(status, 200)
        return result
