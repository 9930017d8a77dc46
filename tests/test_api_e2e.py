"""The inbound API as an external system uses it: real server, workers, job runner."""

import threading
import time

import pytest
import requests

API = "/api/mfg/v1"


@pytest.fixture(scope="module")
def plant(odoo_server):
    """A product with a BoM, MES mappings and an approved client with a key, set up over RPC
    the way a consultant would in the UI."""
    server = odoo_server
    server.login()
    call = server.call
    # chatter messages need an author address, as on any configured database
    admin = call("res.users", "search", [("login", "=", "admin")])
    call("res.users", "write", admin, {"email": "admin@plant.example.com"})
    unit = call("ir.model.data", "check_object_reference", "uom", "product_uom_unit")[1]
    component = call("product.product", "create", {"name": "E2E Housing", "is_storable": True})
    finished = call("product.product", "create", {"name": "E2E Gearbox", "is_storable": True})
    template = call("product.product", "read", [finished], ["product_tmpl_id"])[0][
        "product_tmpl_id"
    ][0]
    call(
        "mrp.bom",
        "create",
        {
            "product_tmpl_id": template,
            "product_qty": 1,
            "bom_line_ids": [(0, 0, {"product_id": component, "product_qty": 1})],
        },
    )
    warehouse = call("stock.warehouse", "search_read", [], ["lot_stock_id"], limit=1)[0]
    system = call(
        "mfg.integration.system", "create", {"code": "MES-E2E", "name": "E2E MES", "kind": "mes"}
    )
    types = {
        t["code"]: t["id"] for t in call("mfg.integration.object.type", "search_read", [], ["code"])
    }
    for object_type, external_id, res_id in (
        ("product", "FG-E2E", finished),
        ("product", "CMP-E2E", component),
        ("location", "STOCK", warehouse["lot_stock_id"][0]),
    ):
        call(
            "mfg.integration.xref",
            "create",
            {
                "system_id": system,
                "object_type_id": types[object_type],
                "external_id": external_id,
                "res_id": res_id,
            },
        )
    call(
        "mfg.integration.value.map",
        "create",
        {
            "system_id": system,
            "domain": "uom",
            "target_model": "uom.uom",
            "line_ids": [(0, 0, {"external_code": "EA", "record_ref": f"uom.uom,{unit}"})],
        },
    )
    manager_group = call(
        "ir.model.data",
        "check_object_reference",
        "mfg_integration_core",
        "group_integration_manager",
    )[1]
    call(
        "res.users",
        "create",
        {
            "name": "E2E Approver",
            "login": "e2e-approver",
            "password": "e2e-approver-pw",
            "email": "approver@plant.example.com",
            "groups_id": [(4, manager_group)],
        },
    )
    scopes = call(
        "mfg.integration.scope",
        "search",
        [("code", "in", ["production:write", "production:read", "inventory:write"])],
    )
    client = call(
        "mfg.integration.client",
        "create",
        {
            "name": "E2E MES client",
            "system_id": system,
            "scope_ids": [(6, 0, scopes)],
            "rate_limit_burst": 1000,
            "rate_limit_per_minute": 60000,
        },
    )
    call("mfg.integration.client", "action_submit", [client])
    server.login("e2e-approver", "e2e-approver-pw")
    call("mfg.integration.client", "action_approve", [client])
    action = call("mfg.integration.client", "action_issue_key", [client])
    server.login()
    return {"key": action["context"]["mfg_api_key_secret"], "client": client}


def _post(server, key, path, body, **headers):
    return requests.post(
        server.url + API + path,
        json=body,
        timeout=60,
        headers={"Authorization": f"Bearer {key}", **headers},
    )


def test_concurrent_requests_with_one_idempotency_key_run_once(odoo_server, plant):
    body = {"id": "E2E-PLN-1", "product": "FG-E2E", "quantity": 5, "unit": "EA"}
    responses = []
    barrier = threading.Barrier(4)

    def send():
        barrier.wait()
        responses.append(
            _post(
                odoo_server,
                plant["key"],
                "/production-orders",
                body,
                **{"Idempotency-Key": "e2e-key-1"},
            )
        )

    threads = [threading.Thread(target=send) for _i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in responses) == [201] * 4, [r.text for r in responses]
    assert len({r.json()["reference"] for r in responses}) == 1
    replayed = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == 3
    count = odoo_server.call(
        "mrp.production", "search_count", [("origin", "=", "MES-E2E:E2E-PLN-1")]
    )
    assert count == 1


def test_async_batch_is_applied_by_the_job_runner(odoo_server, plant):
    movements = [
        {
            "type": "count",
            "product": "CMP-E2E",
            "quantity": 100 + index,
            "unit": "EA",
            "location": "STOCK",
        }
        for index in range(50)
    ]
    response = _post(odoo_server, plant["key"], "/inventory/movements", {"movements": movements})
    assert response.status_code == 202, response.text
    location = response.headers["Location"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = requests.get(
            odoo_server.url + location,
            timeout=30,
            headers={"Authorization": f"Bearer {plant['key']}"},
        ).json()
        if status["status"] not in ("queued", "processing"):
            break
        time.sleep(0.5)
    assert status["status"] == "done", status
    assert status["done"] == 50
    on_hand = odoo_server.call(
        "stock.quant",
        "search_read",
        [("product_id.name", "=", "E2E Housing"), ("location_id.usage", "=", "internal")],
        ["quantity"],
    )
    assert sum(q["quantity"] for q in on_hand) == 149


def test_openapi_is_public_and_errors_are_problem_documents(odoo_server, plant):
    document = requests.get(odoo_server.url + API + "/openapi.json", timeout=30).json()
    assert document["openapi"] == "3.1.0"
    response = _post(odoo_server, "not-a-key", "/production-orders", {})
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "Traceback" not in response.text
