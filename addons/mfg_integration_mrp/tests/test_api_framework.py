import json
from unittest.mock import patch

from openapi_spec_validator import validate

from odoo.tests import tagged

from odoo.addons.mfg_integration_mrp.commands.production import MfgIntegrationMrpInbound

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestApiFramework(ApiCase):
    def test_openapi_document_is_valid(self):
        response = self.url_open("/api/mfg/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = response.json()
        validate(document)
        paths = document["paths"]
        for path in (
            "/production-orders",
            "/production-orders/{id}/confirmations",
            "/inventory/movements",
            "/receipts",
            "/quality/holds",
            "/shipments/{id}/confirmations",
            "/inventory/availability",
            "/requests/{id}",
        ):
            self.assertIn("/api/mfg/v1" + path, paths)
        create = paths["/api/mfg/v1/production-orders"]["post"]
        self.assertEqual(create["x-required-scope"], "production:write")
        self.assertIn("example", create["requestBody"]["content"]["application/json"])
        self.assertIn("422", create["responses"])
        problem = self.url_open("/api/mfg/v1/problems/unmapped-code").json()
        self.assertEqual(problem["status"], 422)
        # the dataschema URI of every event resolves to its JSON Schema
        schema = self.url_open("/api/mfg/v1/events/schemas/mrp.production.done.v1").json()
        self.assertEqual(schema["title"], "mrp.production.done.v1")
        self.assertIn("finished_lots", schema["required"])
        self.assertEqual(self.url_open("/api/mfg/v1/events/schemas/no.such.v1").status_code, 404)

    def test_unauthenticated(self):
        before = self.counts()
        for key in (False, "wrong", self.key[:-3] + "xyz"):
            body = self.assertProblem(
                self.api("POST", "/production-orders", {"id": "X"}, key=key), 401, "unauthenticated"
            )
            self.assertEqual(
                body["detail"], "A valid API key is required (Authorization: Bearer <key>)."
            )
        # refused credentials are counted; the first of the minute alone is logged
        log = self.last_log()
        self.assertEqual((log.status, log.http_status), ("rejected", 401))
        self.assertIn("malformed key", log.error)
        self.assertNotIn(self.key, log.request_headers)
        self.assertEqual(self.counts(), before)
        # X-API-Key works as well as a bearer token
        status, _body, _r = self.api(
            "GET", "/production-orders?limit=5", key=False, headers={"X-API-Key": self.key}
        )
        self.assertEqual(status, 200)

    def test_scope_refusal(self):
        before = self.counts()
        body = self.assertProblem(
            self.api(
                "POST",
                "/production-orders",
                {"id": "P", "product": "FG-100", "quantity": 1, "unit": "EA"},
                key=self.reader_key,
            ),
            403,
            "forbidden",
        )
        self.assertIn("production:write", body["detail"])
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.last_log().system_id, self.mes)

    def test_routing_errors(self):
        self.assertProblem(self.api("GET", "/no-such-thing"), 404, "not-found")
        result = self.api("DELETE", "/production-orders")
        self.assertProblem(result, 405, "method-not-allowed")
        self.assertEqual(result[2].headers["Allow"], "GET, POST")

    def test_body_errors(self):
        before = self.counts()
        self.assertProblem(
            self.api("POST", "/production-orders", raw="{not json"), 400, "malformed-json"
        )
        self.assertProblem(
            self.api(
                "POST", "/production-orders", raw="id=1", headers={"Content-Type": "text/plain"}
            ),
            415,
            "unsupported-media-type",
        )
        self.env["ir.config_parameter"].set_param("mfg_integration.api_max_payload_bytes", 200)
        self.assertProblem(
            self.api("POST", "/production-orders", {"id": "X" * 300}), 413, "payload-too-large"
        )
        self.env["ir.config_parameter"].set_param("mfg_integration.api_max_payload_bytes", 100000)
        body = self.assertProblem(
            self.api(
                "POST", "/production-orders", {"id": "", "product": 5, "quantity": -1, "extra": 1}
            ),
            422,
            "validation-error",
        )
        pointers = {error["pointer"] for error in body["errors"]}
        self.assertTrue({"/id", "/product", "/quantity"} <= pointers, pointers)
        self.assertTrue(any(e["pointer"] == "/" and "unit" in e["detail"] for e in body["errors"]))
        self.assertEqual(self.counts(), before)

    def test_rate_limit(self):
        client, key = self._client_with_key(
            "Slow client", ["production:read"], rate_limit_burst=2, rate_limit_per_minute=1
        )
        for _i in range(2):
            status, _body, response = self.api("GET", "/production-orders?limit=1", key=key)
            self.assertEqual(status, 200)
            self.assertIn("RateLimit-Remaining", response.headers)
        _code, body, response = self.api("GET", "/production-orders?limit=1", key=key)
        self.assertProblem((_code, body, response), 429, "rate-limited")
        self.assertGreaterEqual(int(response.headers["Retry-After"]), 1)
        self.assertEqual(response.headers["RateLimit-Remaining"], "0")

    def test_correlation_and_trace(self):
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
        _s, _b, response = self.api(
            "GET",
            "/production-orders?limit=1",
            headers={
                "X-Correlation-ID": "corr-123",
                "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01",
            },
        )
        self.assertEqual(response.headers["X-Correlation-ID"], "corr-123")
        self.assertTrue(response.headers["traceparent"].startswith(f"00-{trace_id}-"))
        self.assertNotIn("00f067aa0ba902b7", response.headers["traceparent"])
        log = self.last_log()
        self.assertEqual(
            (log.correlation_id, log.traceparent), ("corr-123", response.headers["traceparent"])
        )
        self.assertGreater(log.latency_ms, 0)
        _s, _b, response = self.api("GET", "/production-orders?limit=1")
        self.assertRegex(response.headers["X-Correlation-ID"], r"^[0-9a-f-]{36}$")

    def test_each_request_runs_once(self):
        """No read-only first try that runs the request twice: one token, one log row."""
        key = self.client.key_ids
        logs_before = self.env["mfg.integration.message.log"].search_count([])
        self.assertEqual(self.create_order("PLN-ONCE", 1)[0], 201)
        self.assertEqual(self.api("GET", "/production-orders/PLN-ONCE")[0], 200)
        key.invalidate_recordset()
        self.assertEqual(key.usage_count, 2)
        self.assertEqual(self.env["mfg.integration.message.log"].search_count([]), logs_before + 2)

    def test_internal_error_has_no_stack_trace(self):
        status, _body, _r = self.create_order("PLN-500")
        self.assertEqual(status, 201)
        with patch.object(
            MfgIntegrationMrpInbound,
            "_command_get_production_order",
            side_effect=RuntimeError("database secret sauce"),
        ):
            body = self.assertProblem(
                self.api("GET", "/production-orders/PLN-500"), 500, "internal-error"
            )
        self.assertNotIn("secret sauce", json.dumps(body))
        self.assertNotIn("Traceback", json.dumps(body))
        log = self.last_log()
        self.assertEqual((log.status, log.http_status), ("failed", 500))
        self.assertIn("RuntimeError: database secret sauce", log.error)

    def test_idempotency(self):
        headers = {"Idempotency-Key": "order-PLN-7"}
        body = {"id": "PLN-7", "product": "FG-100", "quantity": 3, "unit": "EA"}
        first = self.api("POST", "/production-orders", body, headers=headers)
        self.assertEqual(first[0], 201)
        before = self.counts()
        again = self.api("POST", "/production-orders", body, headers=headers)
        self.assertEqual(again[0], 201)
        self.assertEqual(again[1], first[1])
        self.assertEqual(again[2].headers["Idempotent-Replayed"], "true")
        self.assertEqual(self.counts(), before)
        self.assertEqual(
            self.env["mrp.production"].search_count([("origin", "=", "MES-01:PLN-7")]), 1
        )
        reused = self.api("POST", "/production-orders", {**body, "quantity": 4}, headers=headers)
        self.assertProblem(reused, 422, "idempotency-key-reused")
        self.assertEqual(self.counts(), before)
        # a refused request is replayed as refused, too
        bad = {"id": "PLN-8", "product": "NOPE", "quantity": 1, "unit": "EA"}
        first_bad = self.api("POST", "/production-orders", bad, headers={"Idempotency-Key": "k-8"})
        second_bad = self.api("POST", "/production-orders", bad, headers={"Idempotency-Key": "k-8"})
        self.assertEqual((first_bad[0], second_bad[0]), (422, 422))
        self.assertEqual(first_bad[1]["type"], second_bad[1]["type"])

    def test_stale_update_is_refused(self):
        self.create_order("PLN-9", source_timestamp="2026-11-26T10:00:00Z")
        production = self.env["mrp.production"].search([("origin", "=", "MES-01:PLN-9")])
        newer = {"produced_quantity": 2, "lot": "L9", "source_timestamp": "2026-11-26T11:00:00Z"}
        self.assertEqual(self.api("POST", "/production-orders/PLN-9/confirmations", newer)[0], 200)
        self.assertEqual(production.qty_producing, 2)
        older = {
            "produced_quantity": 5,
            "lot": "L9",
            "source_timestamp": "2026-11-26T10:30:00+00:00",
        }
        body = self.assertProblem(
            self.api("POST", "/production-orders/PLN-9/confirmations", older), 409, "conflict"
        )
        self.assertEqual(body["errors"][0]["pointer"], "/source_timestamp")
        production.invalidate_recordset()
        self.assertEqual(production.qty_producing, 2)

    def test_load_shedding(self):
        self.env["ir.config_parameter"].set_param("mfg_integration.api_max_backlog", 0)
        before = self.counts()
        _code, _body, response = result = self.api(
            "POST",
            "/inventory/movements",
            {
                "movements": [
                    {
                        "type": "count",
                        "product": "CMP-1",
                        "quantity": 1,
                        "unit": "EA",
                        "location": "WH/STOCK",
                    }
                ]
            },
        )
        self.assertProblem(result, 503, "overloaded")
        self.assertEqual(response.headers["Retry-After"], "30")
        self.assertEqual(self.counts(), before)

    def test_nul_characters_are_refused_and_logged(self):
        result = self.api(
            "POST", "/production-orders", {"id": "PLN\u0000", "product": "FG-100", "quantity": 1}
        )
        self.assertProblem(result, 422, "validation-error")
        self.assertEqual(
            result[1]["errors"], [{"pointer": "/id", "detail": "contains a NUL character"}]
        )
        self.assertProblem(self.api("GET", "/production-orders/A%00B"), 422, "validation-error")
        log = self.env["mfg.integration.message.log"].search([], order="id desc", limit=1)
        self.assertEqual((log.http_status, log.status), (422, "rejected"))
        # werkzeug's own path converter stops at a newline; ours answers in JSON too
        self.assertProblem(self.api("GET", "/production-orders/A%0AB"), 404, "not-found")
