"""A shadow interface on a committed server: the production order is applied
by a real HTTP worker and rolled back; nothing of it is committed, and
PostgreSQL's own write counters show it was written all the same."""

import uuid

import pytest
import requests
from harness import wait_for

API = "/api/mfg/v1"
COMMAND = "production_order.create"


@pytest.fixture(scope="module")
def shadow_plant(odoo_server):
    """A product with a BoM, a system with its mappings and a client with a key,
    and the production order command moved to a shadow interface of its own
    (given back to its interface afterwards: the database is shared)."""
    server = odoo_server
    server.login()
    call = server.call
    admin = call("res.users", "search", [("login", "=", "admin")])
    call("res.users", "write", admin, {"email": "admin@plant.example.com"})
    unit = call("ir.model.data", "check_object_reference", "uom", "product_uom_unit")[1]
    product = call("product.product", "create", {"name": "Catalog E2E Pump", "is_storable": True})
    template = call("product.product", "read", [product], ["product_tmpl_id"])[0][
        "product_tmpl_id"
    ][0]
    call("mrp.bom", "create", {"product_tmpl_id": template, "product_qty": 1})
    client, key = server.approved_client(
        f"CAT-E2E-{uuid.uuid4().hex[:6]}",
        ["production:write", "production:read"],
        rate_limit_burst=1000,
        rate_limit_per_minute=60000,
    )
    system = call("mfg.integration.client", "read", [client], ["system_id"])[0]["system_id"][0]
    product_type = call("mfg.integration.object.type", "search", [("code", "=", "product")])[0]
    call(
        "mfg.integration.xref",
        "create",
        {
            "system_id": system,
            "object_type_id": product_type,
            "external_id": "PUMP",
            "res_id": product,
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
    member = call(
        "mfg.integration.interface.member",
        "search_read",
        [("kind", "=", "command"), ("key", "=", COMMAND)],
        ["interface_id"],
    )[0]
    shadow = call(
        "mfg.integration.interface",
        "create",
        {
            "code": f"CAT-E2E-SHADOW-{uuid.uuid4().hex[:6]}",
            "name": "New MES orders (shadow)",
            "business_process": "demand_to_production",
            "mode": "shadow",
        },
    )
    call("mfg.integration.interface.member", "write", [member["id"]], {"interface_id": shadow})
    yield {
        "server": server,
        "key": key,
        "system": system,
        "product": product,
        "member": member["id"],
        "interface": member["interface_id"][0],
        "shadow": shadow,
    }
    server.login()
    call(
        "mfg.integration.interface.member",
        "write",
        [member["id"]],
        {"interface_id": member["interface_id"][0]},
    )


def _written(server, table):
    """Rows inserted in table since the statistics were reset, rolled back or not."""
    return int(server.sql(f"SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = '{table}'"))


def _kept(server, plant, correlation_id, key):
    """What a production order of the plant's product leaves committed."""
    product, system = plant["product"], plant["system"]
    return {
        "productions": server.sql(
            f"SELECT count(*) FROM mrp_production WHERE product_id = {product}"
        ),
        "moves": server.sql(f"SELECT count(*) FROM stock_move WHERE product_id = {product}"),
        "links": server.sql(
            f"SELECT count(*) FROM mfg_integration_link WHERE system_id = {system}"
        ),
        "events": server.sql(
            f"SELECT count(*) FROM mfg_integration_event WHERE correlation_id = '{correlation_id}'"
        ),
        "keys": server.sql(f"SELECT count(*) FROM mfg_integration_idempotency WHERE key = '{key}'"),
    }


def _create(plant, key, external_id="CAT-E2E-1"):
    return requests.post(
        plant["server"].url + API + "/production-orders",
        json={"id": external_id, "product": "PUMP", "quantity": 7, "unit": "EA"},
        headers={"Authorization": f"Bearer {plant['key']}", "Idempotency-Key": key},
        timeout=60,
    )


def test_shadow_commits_nothing_and_records_what_it_would_have_done(shadow_plant):
    server = shadow_plant["server"]
    key = str(uuid.uuid4())
    written = _written(server, "mrp_production")
    response = _create(shadow_plant, key)
    assert response.status_code == 201, response.text
    assert response.headers["Mfg-Coexistence"] == "shadow"
    correlation_id = response.headers["X-Correlation-ID"]
    assert _kept(server, shadow_plant, correlation_id, key) == {
        "productions": "0",
        "moves": "0",
        "links": "0",
        "events": "0",
        "keys": "0",
    }
    # the worker wrote the order (its statistics reach the server once it is idle)
    wait_for(lambda: _written(server, "mrp_production") > written, timeout=60)
    server.login()
    run = server.call(
        "mfg.integration.shadow.run",
        "search_read",
        [("correlation_id", "=", correlation_id)],
        ["outcome", "effects", "event_count"],
    )[0]
    assert run["outcome"] == "applied"
    created = {row["model"]: row for row in run["effects"]["created"]}
    assert created["mrp.production"]["product_qty"] == 7
    assert created["mrp.production"]["state"] == "confirmed"
    assert "mrp.production.confirmed.v1" in run["effects"]["events"]
    # cut over: the same request, with the same key, is applied for real
    server.call(
        "mfg.integration.interface.member",
        "write",
        [shadow_plant["member"]],
        {"interface_id": shadow_plant["interface"]},
    )
    again = _create(shadow_plant, key)
    assert again.status_code == 201, again.text
    assert "Mfg-Coexistence" not in again.headers
    assert "Idempotent-Replayed" not in again.headers
    kept = _kept(server, shadow_plant, again.headers["X-Correlation-ID"], key)
    assert (kept["productions"], kept["keys"]) == ("1", "1")
    assert int(kept["events"]) >= 1
