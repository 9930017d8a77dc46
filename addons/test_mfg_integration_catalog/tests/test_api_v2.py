import json
import uuid
from datetime import date, timedelta

from openapi_spec_validator import validate

from odoo.tests import tagged

from odoo.addons.mfg_integration_api.contract import ResponseContract
from odoo.addons.mfg_integration_broker.amqp import ReceivedMessage
from odoo.addons.mfg_integration_core.json_schema import schema_errors

from .common import CatalogCase

V2 = "/api/mfg/v2"


@tagged("post_install", "-at_install")
class TestApiV2(CatalogCase):
    """Version 2 of two production order commands, served beside v1 by the
    same command layer: its own prefix and OpenAPI document over REST, its
    own ce-type over the broker, its own lifecycle in the catalog."""

    _contract_v2 = None

    def api_v3(self, method, path):
        """Call /api/mfg/v3, which no command declares."""
        response = self.opener.request(
            method,
            self.base_url() + "/api/mfg/v3" + path,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=60,
        )
        return response.status_code, response.json(), response

    def api_v2(self, method, path, body=None, key=None):
        """Call /api/mfg/v2 over HTTP, the answer checked against v2's document."""
        headers = {"Authorization": f"Bearer {key or self.key}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        response = self.opener.request(
            method,
            self.base_url() + V2 + path,
            data=json.dumps(body) if body is not None else None,
            headers=headers,
            timeout=60,
        )
        parsed = response.json()
        if TestApiV2._contract_v2 is None:
            TestApiV2._contract_v2 = ResponseContract(self.url_open(V2 + "/openapi.json").json())
        errors = TestApiV2._contract_v2.errors(
            method, response.url, response.status_code, response.headers["Content-Type"], parsed
        )
        if errors:
            self.fail("The answer breaks the v2 OpenAPI document:\n" + "\n".join(errors))
        return response.status_code, parsed, response

    def test_each_version_has_its_own_openapi_document(self):
        v1 = self.url_open("/api/mfg/v1/openapi.json").json()
        v2 = self.url_open(V2 + "/openapi.json").json()
        self.assertEqual((v1["openapi"], v2["openapi"]), ("3.1.0", "3.1.0"))
        validate(v2)
        self.assertEqual((v1["info"]["version"], v2["info"]["version"]), ("1.0.0", "2.0.0"))
        operations = {
            document["info"]["version"]: {
                operation["operationId"]: (method, path)
                for path, item in document["paths"].items()
                for method, operation in item.items()
            }
            for document in (v1, v2)
        }
        self.assertEqual(
            operations["2.0.0"],
            {
                "create_production_order_v2": ("post", V2 + "/production-orders"),
                "confirm_production_v2": ("post", V2 + "/production-orders/{id}/confirmations"),
            },
        )
        self.assertEqual(
            operations["1.0.0"]["create_production_order"],
            ("post", "/api/mfg/v1/production-orders"),
        )
        self.assertFalse(
            [path for path in v1["paths"] if not path.startswith("/api/mfg/v1/")],
            "v1's document keeps to v1",
        )
        create = v2["paths"][V2 + "/production-orders"]["post"]
        schema = create["requestBody"]["content"]["application/json"]["schema"]
        self.assertIn("planned_quantity", schema["required"])
        self.assertNotIn("quantity", schema["properties"])
        self.assertEqual(schema["properties"]["priority"]["enum"], ["normal", "urgent"])
        for name in ("production_order.create", "production_order.confirm"):
            command = self.env["mfg.integration.command"]._command(name, 2)
            self.assertEqual(schema_errors(command.request_schema, command.example), [])
        # a version no command declares has no document and no routes
        self.assertEqual(self.url_open("/api/mfg/v3/openapi.json").status_code, 404)
        self.assertProblem(self.api_v3("GET", "/production-orders"), 404, "not-found")
        status, body, _response = self.api("GET", "/production-orders")  # v1 answers as before
        self.assertEqual(status, 200, body)

    def test_v2_creates_an_order_with_the_renamed_field_and_its_priority(self):
        payload = {
            "id": "PLN-V2-1",
            "product": "FG-100",
            "planned_quantity": 7,
            "unit": "EA",
            "priority": "urgent",
        }
        status, body, _response = self.api_v2("POST", "/production-orders", payload)
        self.assertEqual(status, 201, body)
        production = self._production("PLN-V2-1")
        self.assertEqual((production.product_qty, production.priority), (7, "1"))
        self.assertEqual(body["planned_quantity"], 7)
        log = self.last_log()
        self.assertEqual(log.route, "POST /api/mfg/v2/production-orders")
        # v1's field name is refused by v2, and v2's new field by v1, each naming it
        before = self.counts()
        refused = self.api_v2(
            "POST",
            "/production-orders",
            {"id": "PLN-V2-2", "product": "FG-100", "quantity": 7, "unit": "EA"},
        )
        body = self.assertProblem(refused, 422, "validation-error")
        self.assertEqual(body["instance"], "/api/mfg/v2/production-orders")
        self.assertIn("planned_quantity", json.dumps(body["errors"]))
        body = self.assertProblem(
            self.create_order("PLN-V2-3", 7, priority="urgent"), 422, "validation-error"
        )
        self.assertIn("priority", json.dumps(body["errors"]))
        self.assertEqual(self.counts(), before)
        # a v1 route that has no v2 is not served under /api/mfg/v2
        self.assertProblem(self.api_v2("GET", "/production-orders"), 405, "method-not-allowed")

    def test_v2_confirms_good_quantity_and_notes_the_shift(self):
        status, body, _response = self.create_order("PLN-V2-4", 10)
        self.assertEqual(status, 201, body)
        production = self._production("PLN-V2-4")
        status, body, _response = self.api_v2(
            "POST",
            "/production-orders/PLN-V2-4/confirmations",
            {"good_quantity": 4, "lot": "LOT-V2", "shift": "B"},
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(production.qty_producing, 4)
        self.assertEqual(body["produced_quantity"], 4)
        self.assertIn("shift: B", "".join(production.message_ids.mapped("body")))
        self.assertProblem(
            self.api_v2(
                "POST",
                "/production-orders/PLN-V2-4/confirmations",
                {"produced_quantity": 4, "lot": "LOT-V2"},
            ),
            422,
            "validation-error",
        )

    def test_a_deprecated_v1_warns_its_callers_while_v2_answers_plainly(self):
        Version = self.env["mfg.integration.api.version"]
        v2 = Version.create(
            {"number": 2, "state": "production", "documentation_url": "https://example.com/v2"}
        )
        v1 = Version.create(
            {
                "number": 1,
                "state": "deprecated",
                "successor_id": v2.id,
                "deprecation_date": date(2026, 1, 1),
                "sunset_date": date.today() + timedelta(days=30),
                "documentation_url": "https://example.com/v1/deprecation",
            }
        )
        status, body, response = self.create_order("PLN-V2-5", 3)
        self.assertEqual(status, 201, body)
        self.assertIn('<https://example.com/v2>; rel="successor-version"', response.headers["Link"])
        status, body, response = self.api_v2(
            "POST",
            "/production-orders",
            {"id": "PLN-V2-6", "product": "FG-100", "planned_quantity": 3, "unit": "EA"},
        )
        self.assertEqual(status, 201, body)
        for header in ("Deprecation", "Sunset", "Link"):
            self.assertNotIn(header, response.headers)
        self.assertEqual(v1.usage_ids.client_id, self.client)
        self.assertEqual(v1.usage_ids.request_count, 1)
        self.assertFalse(v2.usage_ids)
        # past v1's sunset, v1 is gone and v2 still serves
        v1.sunset_date = date.today()
        body = self.assertProblem(self.create_order("PLN-V2-7", 3), 410, "gone")
        self.assertEqual(body["successor"], "v2")
        status, body, _response = self.api_v2(
            "POST",
            "/production-orders",
            {"id": "PLN-V2-7", "product": "FG-100", "planned_quantity": 3, "unit": "EA"},
        )
        self.assertEqual(status, 201, body)

    def _queue(self):
        connection = self.env["mfg.integration.broker.connection"].create(
            {"name": "Catalog v2 test broker", "url": "amqp://127.0.0.1:5672/%2F"}
        )
        return self.env["mfg.integration.broker.queue"].create(
            {
                "name": f"mfg_integration_catalog.test_v2.{uuid.uuid4().hex[:8]}",
                "connection_id": connection.id,
                "client_id": self.client.id,
                "max_attempts": 3,
            }
        )

    def _message(self, command_type, payload, subject=None):
        headers = {"ce-type": command_type, "ce-specversion": "1.0"}
        if subject:
            headers["ce-subject"] = subject
        return ReceivedMessage(
            body=json.dumps(payload).encode(),
            headers=headers,
            content_type="application/json",
            message_id=str(uuid.uuid4()),
            correlation_id=f"catalog-v2-{uuid.uuid4().hex[:8]}",
        )

    def test_the_broker_carries_v2_beside_v1(self):
        queue = self._queue()
        created = queue._consume(
            self._message(
                "production_order.create.v2",
                {
                    "id": "PLN-V2-8",
                    "product": "FG-100",
                    "planned_quantity": 5,
                    "unit": "EA",
                    "priority": "urgent",
                },
            )
        )
        self.assertEqual(created.action, "ack", created.response.body)
        self.assertEqual(created.response.status, 201)
        production = self._production("PLN-V2-8")
        self.assertEqual((production.product_qty, production.priority), (5, "1"))
        confirmed = queue._consume(
            self._message(
                "production_order.confirm.v2",
                {"good_quantity": 2, "lot": "LOT-V2-B", "shift": "C"},
                subject="PLN-V2-8",
            )
        )
        self.assertEqual(confirmed.action, "ack", confirmed.response.body)
        self.assertEqual(production.qty_producing, 2)
        self.assertIn("shift: C", "".join(production.message_ids.mapped("body")))
        # v1 keeps its own field names on the same queue
        before = self.counts()
        refused = queue._consume(
            self._message(
                "production_order.create",
                {"id": "PLN-V2-9", "product": "FG-100", "planned_quantity": 5, "unit": "EA"},
            )
        )
        self.assertEqual(refused.action, "requeue")  # the queue's attempts, as for any refusal
        self.assertEqual(refused.response.status, 422)
        self.assertIn("planned_quantity", json.dumps(refused.response.body["errors"]))
        self.assertEqual(self.counts(), before)
        applied = queue._consume(
            self._message(
                "production_order.create",
                {"id": "PLN-V2-9", "product": "FG-100", "quantity": 5, "unit": "EA"},
            )
        )
        self.assertEqual(applied.action, "ack", applied.response.body)
        self.assertEqual(self._production("PLN-V2-9").priority, "0")
