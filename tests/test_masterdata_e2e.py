"""A PLM publishes master data to a running Odoo (HTTP workers, the real job
runner) and an MES receives the BoM release at its webhook receiver, in its
own ids, signed."""

import uuid

import pytest
import requests
from harness import wait_for
from standardwebhooks.webhooks import Webhook

from odoo.addons.mfg_integration_webhook.tests.receiver import Receiver

API = "/api/mfg/v1"


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def plant(odoo_server, receiver):
    """A PLM with its unit codes and key, and an MES subscribed to BoM releases
    at the receiver; codes of this run's own."""
    run = uuid.uuid4().hex[:8].upper()
    call = odoo_server.call
    _client, key = odoo_server.approved_client(f"PLM-{run}", ["masterdata:write"])
    odoo_server.login()
    plm = call("mfg.integration.system", "search", [("code", "=", f"PLM-{run}")])[0]
    unit = call("ir.model.data", "check_object_reference", "uom", "product_uom_unit")[1]
    call(
        "mfg.integration.value.map",
        "create",
        {
            "system_id": plm,
            "domain": "uom",
            "target_model": "uom.uom",
            "line_ids": [(0, 0, {"external_code": "EA", "record_ref": f"uom.uom,{unit}"})],
        },
    )
    mes = call("mfg.integration.system", "create", {"name": f"MES {run}", "code": f"MES-{run}"})
    endpoint = call(
        "mfg.integration.webhook.endpoint",
        "create",
        {
            "name": f"MES {run} master data",
            "url": receiver.url,
            "allow_insecure": True,
            "system_id": mes,
            "event_types": "masterdata.bom.released.v1",
            "filter_domain": f"[('code', 'ilike', '{run}')]",
            "retry_schedule": "1,1,1,1,1",
            "max_attempts": 20,
        },
    )
    action = call("mfg.integration.webhook.endpoint", "action_generate_secret", [endpoint])
    # a work center both systems know, each by its own code
    workcenter = call("mrp.workcenter", "create", {"name": f"Old line {run}"})
    workcenter_type = call("mfg.integration.object.type", "search", [("code", "=", "workcenter")])
    for system, code in ((plm, f"WC-{run}"), (mes, f"MES-WC-{run}")):
        call(
            "mfg.integration.xref",
            "create",
            {
                "system_id": system,
                "object_type_id": workcenter_type[0],
                "external_id": code,
                "res_id": workcenter,
            },
        )
    yield {
        "run": run,
        "key": key,
        "mes": mes,
        "secret": action["context"]["mfg_webhook_secret"],
    }
    # the receiver stops with this module: the endpoint waits for nothing more
    odoo_server.login()
    call("mfg.integration.webhook.endpoint", "action_pause", [endpoint])


def post(odoo_server, plant, path, body):
    return requests.post(
        odoo_server.url + API + path,
        json=body,
        headers={"Authorization": f"Bearer {plant['key']}"},
        timeout=60,
    )


def test_a_plm_load_releases_a_bom_that_the_mes_receives(odoo_server, receiver, plant):
    run, call = plant["run"], odoo_server.call
    part = f"E2E-{run}"
    records = [
        {"kind": "workcenter", "data": {"code": f"WC-{run}", "name": f"Line {run}"}},
        {
            "kind": "item",
            "data": {"part_number": f"{part}-PIN", "revision": "A", "name": "Pin", "unit": "EA"},
        },
        {
            "kind": "item",
            "data": {"part_number": part, "revision": "A", "name": "Hub", "unit": "EA"},
        },
        {
            "kind": "bom",
            "data": {
                "parent": part,
                "revision": "A",
                "quantity": 1,
                "unit": "EA",
                "change_number": f"ECN-{run}",
                "change_reason": "First release",
                "operations": [{"code": "OP10", "workcenter": f"WC-{run}", "duration_minutes": 4}],
                "lines": [{"component": f"{part}-PIN", "quantity": 3, "operation": "OP10"}],
            },
        },
        # a bad revision: its component is unknown; it fails alone, with an exception
        {
            "kind": "bom",
            "data": {
                "parent": f"{part}-PIN",
                "revision": "A",
                "quantity": 1,
                "unit": "EA",
                "lines": [{"component": f"{part}-NONE", "quantity": 1}],
            },
        },
    ]
    response = post(odoo_server, plant, "/masterdata/loads", {"records": records})
    assert response.status_code == 202, response.text
    status_url = odoo_server.url + response.headers["Location"]

    def finished():
        status = requests.get(
            status_url, headers={"Authorization": f"Bearer {plant['key']}"}, timeout=30
        ).json()
        return status if status["status"] in ("done", "partial", "failed") else None

    assert wait_for(finished, timeout=120), "the job runner did not apply the load"
    status = finished()
    assert [r["status"] for r in status["results"]] == ["done"] * 4 + ["failed"]
    problem = status["results"][4]["problem"]
    assert problem["errors"][0]["pointer"] == "/records/4/data/lines/0/component"
    assert wait_for(
        lambda: call(
            "mfg.integration.exception", "search_count", [("mapping_value", "=", f"{part}-NONE")]
        ),
        timeout=60,
    ), "no exception says which component to fix"

    # the MES gets the release at its receiver, signed, in its own ids
    def release():
        found = [
            r
            for r in receiver.requests
            if r["headers"].get("ce-type") == "masterdata.bom.released.v1"
            and f"ECN-{run}".encode() in r["body"]
        ]
        return found[0] if found else None

    assert wait_for(release, timeout=120), [r["headers"].get("ce-type") for r in receiver.requests]
    request = release()
    event = Webhook(plant["secret"]).verify(request["body"], request["headers"])
    data = event["data"]
    assert (data["revision"], data["change_number"]) == ("A", f"ECN-{run}")
    assert data["lines"][0]["quantity"] == 3
    work_center = data["operations"][0]["work_center"]
    assert (work_center["id"], work_center["reference"]) == (f"MES-WC-{run}", f"Line {run}")
    assert data["lines"][0]["component"]["id"] is None, "the MES has no id for the pin"
