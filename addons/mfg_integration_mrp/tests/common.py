import json

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.mfg_integration_api.contract import ResponseContract
from odoo.addons.mfg_integration_api.routing import API_PREFIX
from odoo.addons.queue_job.job import Job

MANAGER = "base.group_user,mfg_integration_core.group_integration_manager"
ALL_SCOPES = [
    "production:read",
    "production:write",
    "inventory:read",
    "inventory:write",
    "purchase:write",
    "quality:write",
    "shipment:write",
    "mapping:read",
]


@tagged("post_install", "-at_install")
class ApiCase(HttpCase):
    """A plant, the MES-01 system with its mappings, and API clients with real keys."""

    _contract = None  # the OpenAPI document, read once

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.line_location = env["stock.location"].create(
            {
                "name": "LINE-1",
                "usage": "internal",
                "location_id": cls.warehouse.view_location_id.id,
            }
        )
        cls.uom_unit = env.ref("uom.product_uom_unit")
        cls.uom_kg = env.ref("uom.product_uom_kgm")
        cls.uom_dozen = env.ref("uom.product_uom_dozen")
        Product = env["product.product"]
        cls.finished = Product.create({"name": "Gearbox", "is_storable": True, "tracking": "lot"})
        cls.component = Product.create({"name": "Housing", "is_storable": True})
        cls.steel = Product.create(
            {
                "name": "Steel",
                "is_storable": True,
                "uom_id": cls.uom_kg.id,
                "uom_po_id": cls.uom_kg.id,
            }
        )
        cls.workcenter = env["mrp.workcenter"].create({"name": "Assembly"})
        cls.bom = env["mrp.bom"].create(
            {
                "product_tmpl_id": cls.finished.product_tmpl_id.id,
                "product_qty": 1,
                "bom_line_ids": [(0, 0, {"product_id": cls.component.id, "product_qty": 1})],
                "operation_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Assemble",
                            "workcenter_id": cls.workcenter.id,
                            "time_cycle_manual": 10,
                        },
                    )
                ],
            }
        )
        env["stock.quant"]._update_available_quantity(cls.component, cls.stock, 500)
        cls.mes = env["mfg.integration.system"].create(
            {"code": "MES-01", "name": "MES", "kind": "mes", "warehouse_id": cls.warehouse.id}
        )
        Xref = env["mfg.integration.xref"]
        types = {t.code: t for t in env["mfg.integration.object.type"].search([])}
        for object_type, external_id, record in (
            ("product", "FG-100", cls.finished),
            ("product", "CMP-1", cls.component),
            ("product", "STL-1", cls.steel),
            ("location", "WH/STOCK", cls.stock),
            ("location", "WH/LINE-1", cls.line_location),
            ("workcenter", "WC-ASSY", cls.workcenter),
        ):
            Xref.create(
                {
                    "system_id": cls.mes.id,
                    "object_type_id": types[object_type].id,
                    "external_id": external_id,
                    "res_id": record.id,
                }
            )
        ValueMap = env["mfg.integration.value.map"]
        ValueMap.create(
            {
                "system_id": cls.mes.id,
                "domain": "uom",
                "target_model": "uom.uom",
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "external_code": "EA",
                            "record_ref": f"uom.uom,{cls.uom_unit.id}",
                            "canonical_value": "unit",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "external_code": "KGM",
                            "record_ref": f"uom.uom,{cls.uom_kg.id}",
                            "canonical_value": "kg",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "external_code": "DZN",
                            "record_ref": f"uom.uom,{cls.uom_dozen.id}",
                            "canonical_value": "dozen",
                        },
                    ),
                ],
            }
        )
        ValueMap.create(
            {
                "system_id": cls.mes.id,
                "domain": "mrp.production.state",
                "case_sensitive": True,
                "line_ids": [
                    (0, 0, {"external_code": code, "canonical_value": state})
                    for code, state in (
                        ("PLN", "draft"),
                        ("REL", "confirmed"),
                        ("RUN", "progress"),
                        ("CLS", "to_close"),
                        ("FIN", "done"),
                        ("CAN", "cancel"),
                    )
                ],
            }
        )
        ValueMap.create(
            {
                "system_id": cls.mes.id,
                "domain": "scrap.reason",
                "line_ids": [(0, 0, {"external_code": "SCR-01", "canonical_value": "damaged"})],
            }
        )
        cls.requester = new_test_user(env, login="api_requester", groups=MANAGER)
        cls.approver = new_test_user(env, login="api_approver", groups=MANAGER)
        cls.client, cls.key = cls._client_with_key("MES client", ALL_SCOPES)
        cls.reader, cls.reader_key = cls._client_with_key("Read-only client", ["production:read"])

    @classmethod
    def _client_with_key(cls, name, scope_codes, **values):
        scopes = cls.env["mfg.integration.scope"].search([("code", "in", scope_codes)])
        client = (
            cls.env["mfg.integration.client"]
            .with_user(cls.requester)
            .create(
                {"name": name, "system_id": cls.mes.id, "scope_ids": [(6, 0, scopes.ids)], **values}
            )
        )
        client.action_submit()
        client.with_user(cls.approver).action_approve()
        action = client.with_user(cls.approver).action_issue_key()
        return client.with_user(cls.env.user), action["context"]["mfg_api_key_secret"]

    def api(self, method, path, body=None, key=None, headers=None, raw=None):
        """Call the API over HTTP; return (status, parsed body, response)."""
        all_headers = {"Authorization": f"Bearer {key or self.key}"}
        if body is not None or raw is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        if key is False:
            all_headers.pop("Authorization")
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = self.opener.request(
            method, self.base_url() + API_PREFIX + path, data=data, headers=all_headers, timeout=60
        )
        try:
            parsed = response.json()
        except ValueError:
            parsed = response.text
        self.assertKeepsContract(method, response, parsed if response.content else None)
        return response.status_code, parsed, response

    def assertKeepsContract(self, method, response, body):
        """The answer is what the OpenAPI document promises for its operation and status."""
        if ApiCase._contract is None:
            document = self.url_open(API_PREFIX + "/openapi.json").json()
            ApiCase._contract = ResponseContract(document)
        errors = ApiCase._contract.errors(
            method,
            response.url,
            response.status_code,
            response.headers.get("Content-Type"),
            body,
        )
        if errors:
            self.fail("The answer breaks the OpenAPI document:\n" + "\n".join(errors))

    def assertProblem(self, result, status, slug):
        code, body, response = result
        self.assertEqual(code, status, body)
        self.assertEqual(response.headers["Content-Type"].split(";")[0], "application/problem+json")
        self.assertEqual(body["type"], f"/api/mfg/v1/problems/{slug}", body)
        self.assertEqual(body["status"], status)
        self.assertTrue(body["detail"])
        self.assertTrue(response.headers["X-Correlation-ID"])
        return body

    def run_batch(self, movements):
        """POST a batch, run its stored job as the job runner would, return its status."""
        status, body, response = self.api("POST", "/inventory/movements", {"movements": movements})
        self.assertEqual(status, 202, body)
        self.assertEqual(response.headers["Location"], body["status_url"])
        request = self.env["mfg.integration.api.request"].browse(body["id"])
        self.assertEqual(request.state, "queued")
        stored = self.env["queue.job"].search([("uuid", "=", request.job_uuid)])
        self.assertEqual((stored.state, stored.channel), ("pending", "root.mfg_integration_api"))
        self.assertEqual(stored.user_id, self.client.technical_user_id)
        # what the job runner does with it
        job = Job.load(self.env, stored.uuid)
        job.set_started()
        job.perform()
        job.set_done()
        job.store()
        status, result, _r = self.api("GET", body["status_url"].removeprefix("/api/mfg/v1"))
        self.assertEqual(status, 200)
        return result

    def last_log(self):
        return self.env["mfg.integration.message.log"].search([], order="id desc", limit=1)

    def create_order(self, external_id="PLN-1", quantity=10, **extra):
        body = {"id": external_id, "product": "FG-100", "quantity": quantity, "unit": "EA", **extra}
        return self.api("POST", "/production-orders", body)

    def counts(self):
        """Business records that a refused request must not change."""
        return {
            model: self.env[model].search_count([])
            for model in (
                "mrp.production",
                "stock.move",
                "stock.lot",
                "mfg.integration.xref",
                "stock.quant",
                "mfg.integration.api.request",
            )
        }
