import sys
from pathlib import Path

from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.queue_job.job import Job

# the demo's fake WMS, a real HTTP server (the repository's demo folder)
DEMO = Path(__file__).resolve().parents[3] / "demo"
if str(DEMO) not in sys.path:
    sys.path.insert(0, str(DEMO))

from fake_wms import FakeWms, serve  # noqa: E402

MANAGER = "base.group_user,mfg_integration_core.group_integration_manager"


def stock_row(product, location, quantity, minute, lot=None, unit="EA"):
    return {
        "product": product,
        "location": location,
        "lot": lot,
        "quantity": quantity,
        "unit": unit,
        "updated_at": f"2026-03-01T08:{minute:02d}:00Z",
    }


@tagged("post_install", "-at_install")
class SyncCase(TransactionCase):
    """A WMS system with its mappings, an approved API client, a fake WMS
    served over HTTP and a sync job that pulls from it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.wms_server = None
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", env.company.id)], limit=1
        )
        parent = cls.warehouse.view_location_id
        cls.bin_a = env["stock.location"].create(
            {"name": "SYNC-A", "usage": "internal", "location_id": parent.id}
        )
        cls.bin_b = env["stock.location"].create(
            {"name": "SYNC-B", "usage": "internal", "location_id": parent.id}
        )
        Product = env["product.product"]
        cls.bolt = Product.create({"name": "Sync bolt", "is_storable": True})
        cls.nut = Product.create({"name": "Sync nut", "is_storable": True})
        cls.resin = Product.create({"name": "Sync resin", "is_storable": True, "tracking": "lot"})
        cls.wms = env["mfg.integration.system"].create(
            {"code": "WMS-SYNC", "name": "WMS", "kind": "wms", "warehouse_id": cls.warehouse.id}
        )
        types = {t.code: t for t in env["mfg.integration.object.type"].search([])}
        for object_type, external_id, record in (
            ("product", "BOLT", cls.bolt),
            ("product", "NUT", cls.nut),
            ("product", "RESIN", cls.resin),
            ("location", "A", cls.bin_a),
            ("location", "B", cls.bin_b),
        ):
            env["mfg.integration.xref"].create(
                {
                    "system_id": cls.wms.id,
                    "object_type_id": types[object_type].id,
                    "external_id": external_id,
                    "res_id": record.id,
                }
            )
        env["mfg.integration.value.map"].create(
            {
                "system_id": cls.wms.id,
                "domain": "uom",
                "target_model": "uom.uom",
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "external_code": "EA",
                            "record_ref": f"uom.uom,{env.ref('uom.product_uom_unit').id}",
                            "canonical_value": "unit",
                        },
                    )
                ],
            }
        )
        requester = new_test_user(env, login="sync_requester", groups=MANAGER)
        approver = new_test_user(env, login="sync_approver", groups=MANAGER)
        scopes = env["mfg.integration.scope"].search([("code", "=", "inventory:write")])
        client = (
            env["mfg.integration.client"]
            .with_user(requester)
            .create(
                {"name": "WMS sync", "system_id": cls.wms.id, "scope_ids": [(6, 0, scopes.ids)]}
            )
        )
        client.action_submit()
        client.with_user(approver).action_approve()
        cls.client = client.with_user(env.user)

    def setUp(self):
        super().setUp()
        self.fake = FakeWms(timeout_seconds=2.0)
        server = serve(self.fake, 0)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.job = self.env["mfg.integration.sync.job"].create(
            {
                "name": "WMS stock",
                "client_id": self.client.id,
                "endpoint_url": f"http://127.0.0.1:{server.server_address[1]}/stock",
                "page_size": 2,
                "timeout": 1.0,
                "max_retries": 2,
                "retry_backoff": 0.05,
            }
        )

    def run_sync(self):
        """Start a run and perform its queue job as the job runner would."""
        run = self.job._start_run()
        stored = self.env["queue.job"].search([("uuid", "=", run.job_uuid)])
        self.assertEqual((stored.state, stored.channel), ("pending", "root.mfg_integration_sync"))
        job = Job.load(self.env, stored.uuid)
        job.set_started()
        job.perform()
        job.set_done()
        job.store()
        run.invalidate_recordset()
        return run

    def on_hand(self, product, location, lot=None):
        quants = self.env["stock.quant"].search(
            [
                ("product_id", "=", product.id),
                ("location_id", "=", location.id),
                ("lot_id", "=", lot.id if lot else False),
            ]
        )
        return sum(quants.mapped("quantity"))

    def counts(self, run):
        return {
            name: run[f"{name}_count"]
            for name in ("page", "read", "created", "updated", "unchanged", "refused", "conflict")
        }

    def exceptions(self, category):
        return self.env["mfg.integration.exception"].search([("category", "=", category)])
