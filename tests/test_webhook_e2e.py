"""Events from changes made as a user would make them, delivered by the real job runner."""

import time

import pytest
from harness import wait_for
from standardwebhooks.webhooks import Webhook

from odoo.addons.mfg_integration_webhook.tests.receiver import Receiver


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def endpoint(odoo_server, receiver):
    odoo_server.login()
    call = odoo_server.call
    admin = call("res.users", "search", [("login", "=", "admin")])
    call("res.users", "write", admin, {"email": "admin@plant.example.com"})
    endpoint_id = call(
        "mfg.integration.webhook.endpoint",
        "create",
        {
            "name": "E2E receiver",
            "url": receiver.url,
            "allow_insecure": True,
            "event_types": "mrp.production.*, stock.shipment.*",
            "retry_schedule": "1,1,1,1,1,1,1,1,1,1",
            "max_attempts": 60,
            "failure_threshold": 3,
            "cooldown_seconds": 2,
        },
    )
    action = call("mfg.integration.webhook.endpoint", "action_generate_secret", [endpoint_id])
    product = call("product.product", "create", {"name": "E2E Valve", "is_storable": True})
    template = call("product.product", "read", [product], ["product_tmpl_id"])[0][
        "product_tmpl_id"
    ][0]
    call("mrp.bom", "create", {"product_tmpl_id": template, "product_qty": 1})
    return {
        "id": endpoint_id,
        "secret": action["context"]["mfg_webhook_secret"],
        "product": product,
    }


def received(receiver, type_name):
    return [
        r
        for r in receiver.requests
        if r["headers"].get("ce-type") == type_name
        and 200 <= receiver.statuses.get(r["headers"]["webhook-id"], 200) < 300
    ]


def test_confirm_produce_ship_sends_signed_webhooks(odoo_server, receiver, endpoint):
    call = odoo_server.call
    receiver.requests.clear()
    receiver.statuses = {}
    production = call(
        "mrp.production", "create", {"product_id": endpoint["product"], "product_qty": 3}
    )
    call("mrp.production", "action_confirm", [production])
    call("mrp.production", "write", [production], {"qty_producing": 3})
    call("mrp.production", "button_mark_done", [production])
    warehouse = call(
        "stock.warehouse", "search_read", [], ["out_type_id", "lot_stock_id"], limit=1
    )[0]
    customers = call(
        "ir.model.data", "check_object_reference", "stock", "stock_location_customers"
    )[1]
    stock = warehouse["lot_stock_id"][0]
    picking = call(
        "stock.picking",
        "create",
        {
            "picking_type_id": warehouse["out_type_id"][0],
            "location_id": stock,
            "location_dest_id": customers,
            "move_ids": [
                (
                    0,
                    0,
                    {
                        "name": "E2E Valve",
                        "product_id": endpoint["product"],
                        "product_uom_qty": 3,
                        "location_id": stock,
                        "location_dest_id": customers,
                    },
                )
            ],
        },
    )
    call("stock.picking", "action_confirm", [picking])
    call("stock.picking", "action_assign", [picking])
    moves = call("stock.picking", "read", [picking], ["move_ids"])[0]["move_ids"]
    call("stock.move", "write", moves, {"picked": True})
    call("stock.picking", "button_validate", [picking])
    wanted = (
        "mrp.production.confirmed.v1",
        "mrp.production.done.v1",
        "stock.shipment.validated.v1",
    )
    assert wait_for(lambda: all(received(receiver, t) for t in wanted)), [
        r["headers"].get("ce-type") for r in receiver.requests
    ]
    for type_name in wanted:
        request = received(receiver, type_name)[0]
        payload = Webhook(endpoint["secret"]).verify(request["body"], request["headers"])
        assert payload["type"] == type_name
    done = Webhook(endpoint["secret"]).verify(
        received(receiver, "mrp.production.done.v1")[0]["body"],
        received(receiver, "mrp.production.done.v1")[0]["headers"],
    )
    assert done["data"]["produced_quantity"] == 3


def test_receiver_down_for_a_while_gets_every_event(odoo_server, receiver, endpoint):
    call = odoo_server.call
    receiver.requests.clear()
    receiver.statuses = {}
    down_until = time.monotonic() + 6

    def respond(server, headers, body):
        status = 503 if time.monotonic() < down_until else 200
        server.statuses[headers["webhook-id"]] = status
        return status, {}

    receiver.respond = respond
    productions = [
        call("mrp.production", "create", {"product_id": endpoint["product"], "product_qty": 1})
        for _i in range(20)
    ]
    call("mrp.production", "action_confirm", productions)
    expected = {
        row["event_uid"]
        for row in call(
            "mfg.integration.event",
            "search_read",
            [("type", "=", "mrp.production.confirmed.v1"), ("res_id", "in", productions)],
            ["event_uid"],
        )
    }
    assert len(expected) == 20

    def all_delivered():
        ok = {
            r["headers"]["webhook-id"]
            for r in receiver.requests
            if receiver.statuses.get(r["headers"]["webhook-id"]) == 200
        }
        return expected <= ok

    assert wait_for(all_delivered, timeout=120), receiver.statuses
    failed_attempts = [r for r in receiver.requests if r["headers"]["webhook-id"] in expected]
    assert len(failed_attempts) > 20  # some were refused while the receiver was down

    def states():
        rows = call(
            "mfg.integration.webhook.delivery",
            "search_read",
            [("event_id.event_uid", "in", list(expected)), ("endpoint_id", "=", endpoint["id"])],
            ["state"],
        )
        return {row["state"] for row in rows}

    # the receiver answers before the job that sent it commits the outcome
    assert wait_for(lambda: states() == {"delivered"}, timeout=30), states()
    receiver.respond = lambda server, headers, body: (200, {})
