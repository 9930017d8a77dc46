from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import ApiCase

BUSINESS_MODELS = (
    "mrp.production",
    "stock.move",
    "stock.quant",
    "stock.lot",
    "stock.picking",
    "purchase.order",
    "mfg.integration.xref",
)


@tagged("post_install", "-at_install")
class TestSecurityMatrix(ApiCase):
    """Every route refuses every kind of bad credential, and changes nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Other Plant Ltd"})
        cls.expired_client, cls.expired_key = cls._client_with_key("Expired", ["production:read"])
        cls.expired_client.key_ids.sudo().expires_at = fields.Datetime.now() - timedelta(days=1)
        cls.revoked_client, cls.revoked_key = cls._client_with_key("Revoked", ["production:read"])
        cls.revoked_client.key_ids._revoke("test")
        cls.suspended_client, cls.suspended_key = cls._client_with_key(
            "Suspended", ["production:read"]
        )
        cls.suspended_client.with_user(cls.approver).action_suspend()
        cls.fenced_client, cls.fenced_key = cls._client_with_key(
            "Fenced", ["production:read"], ip_allowlist="10.9.0.0/16"
        )
        # two narrow clients: each route is called with the one lacking its scope
        cls.quality_only, cls.quality_key = cls._client_with_key("Quality", ["quality:write"])
        cls.mapping_only, cls.mapping_key = cls._client_with_key("Mapping", ["mapping:read"])

    def _snapshot(self):
        self.env.invalidate_all()
        return {
            model: (
                self.env[model].sudo().search_count([]),
                max(self.env[model].sudo().search([]).mapped("write_date") or [False]),
            )
            for model in BUSINESS_MODELS
        }

    def _calls(self):
        for route, command in self.env["mfg.integration.api"]._route_table():
            path = route.path.replace("{id}", "X-1")
            body = None if route.method in ("GET", "DELETE") else {}
            yield route, command, path, body

    def test_every_route_refuses_every_bad_credential(self):
        before = self._snapshot()
        refusals = {
            "no key": (False, {}, 401, "unauthenticated"),
            "wrong key": ("mfgk_deadbeef_" + "A" * 43, {}, 401, "unauthenticated"),
            "expired key": (self.expired_key, {}, 401, "unauthenticated"),
            "revoked key": (self.revoked_key, {}, 401, "unauthenticated"),
            "suspended client": (self.suspended_key, {}, 401, "unauthenticated"),
            "outside the IP allow-list": (self.fenced_key, {}, 403, "forbidden"),
            "another company": (
                self.key,
                {"X-Company-ID": str(self.other_company.id)},
                403,
                "forbidden",
            ),
        }
        checked = 0
        for route, command, path, body in self._calls():
            for name, (key, headers, status, slug) in refusals.items():
                with self.subTest(route=route.name, refusal=name):
                    self.assertProblem(
                        self.api(route.method, path, body, key=key, headers=headers), status, slug
                    )
                    checked += 1
            if not command.scope:  # e.g. a client's own batch status
                continue
            with self.subTest(route=route.name, refusal="missing scope"):
                key = self.mapping_key if command.scope != "mapping:read" else self.quality_key
                result = self.api(route.method, path, body, key=key)
                self.assertProblem(result, 403, "forbidden")
                self.assertIn(f"lacks the scope '{command.scope}'", result[1]["detail"])
                checked += 1
        self.assertGreaterEqual(checked, 7 * 13 + 12)
        self.assertEqual(self._snapshot(), before, "a refused request changed nothing")

    def test_a_client_never_reads_another_companys_records(self):
        other = self.other_company
        production = (
            self.env["mrp.production"]
            .with_company(other)
            .create({"product_id": self.finished.id, "product_qty": 3, "company_id": other.id})
        )
        Xref = self.env["mfg.integration.xref"]
        production_type = self.env.ref("mfg_integration_mrp.object_type_production")
        with self.assertRaisesRegex(Exception, "belongs to company"), self.env.cr.savepoint():
            Xref.create(
                {
                    "system_id": self.mes.id,
                    "object_type_id": production_type.id,
                    "external_id": "OTHER-1",
                    "res_id": production.id,
                }
            )
        # even a cross-reference written behind the ORM's back reads nothing
        self.env.cr.execute(
            "INSERT INTO mfg_integration_xref (system_id, object_type_id, external_id, res_model,"
            " res_id, company_id) VALUES (%s, %s, 'OTHER-1', 'mrp.production', %s, %s)",
            (self.mes.id, production_type.id, production.id, self.company.id),
        )
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        status, body, _response = self.api("GET", "/production-orders/OTHER-1")
        self.assertIn(status, (403, 404), body)
        self.assertNotIn(production.name, str(body))
        status, body, _response = self.api(
            "POST", "/production-orders/OTHER-1/confirmations", {"produced_quantity": 3}
        )
        self.assertIn(status, (403, 404), body)
        self.assertEqual(production.state, "draft")
        status, body, _response = self.api("GET", "/production-orders?limit=100")
        self.assertEqual(status, 200, body)
        self.assertNotIn(production.name, [order["reference"] for order in body["items"]])
        # Odoo references are looked up within the client's companies only
        picking = (
            self.env["stock.picking"]
            .with_company(other)
            .create(
                {
                    "picking_type_id": self.env["stock.warehouse"]
                    .search([("company_id", "=", other.id)], limit=1)
                    .out_type_id.id,
                    "company_id": other.id,
                }
            )
        )
        status, body, _response = self.api(
            "POST",
            f"/shipments/{picking.name.replace('/', '%2F')}/confirmations",
            {"tracking_reference": "1Z1"},
        )
        self.assertEqual(status, 404, body)
