"""Batch sync end to end: a real server with workers and the job runner
pulls the fake WMS over HTTP; the server is SIGKILLed in the middle of the
run, started again, and the run resumes from its last committed cursor."""

import os
from collections import Counter

import pytest
from fake_wms import FakeWms, serve
from harness import free_port, kill_server, start_server, stop_server, wait_for

ROWS = 60
PAGE = 5
SYSTEM = "WMS-SYNC-E2E"


@pytest.fixture(scope="module")
def plant(tmp_path_factory):
    """A server of our own (it gets killed), a fake WMS and a sync job."""
    # a database of its own: no other server's job runner may take the run
    db = os.environ.get("MFG_SYNC_DB")
    if not db:
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    logs = tmp_path_factory.mktemp("odoo-sync")
    args = (os.environ["MFG_ODOO_SRC"], os.environ["MFG_E2E_CONF"], db)
    process, server = start_server(*args, logs / "server-1.log")
    wms = FakeWms(
        [
            {
                "product": f"SYNC-E2E-{index % 20}",
                "location": f"SYNC-E2E/{index // 20}",
                "lot": None,
                "quantity": index + 1,
                "unit": "EA",
                "updated_at": f"2026-03-02T{index // 60:02d}:{index % 60:02d}:00Z",
            }
            for index in range(ROWS)
        ]
    )
    wms.delay = 0.4  # a page takes a while: the kill lands mid-run
    http = serve(wms, free_port())
    state = {"process": process, "server": server}

    def restart():
        kill_server(state["process"])
        state["process"], state["server"] = start_server(
            *args, logs / f"server-{len(list(logs.iterdir())) + 1}.log"
        )
        state["server"].login()
        return state["server"]

    server.login()
    job_id = _configure(server, f"http://127.0.0.1:{http.server_address[1]}/stock")
    yield state, wms, job_id, restart
    http.shutdown()
    stop_server(state["process"])


def _configure(server, endpoint):
    """Products, bins and their cross-references for the WMS, its client and a sync job."""
    client_id, _key = server.approved_client(SYSTEM, ["inventory:write"])
    system_id = server.call("mfg.integration.client", "read", [client_id], ["system_id"])[0][
        "system_id"
    ][0]
    types = {
        row["code"]: row["id"]
        for row in server.call("mfg.integration.object.type", "search_read", [], ["code"])
    }
    warehouse = server.call("stock.warehouse", "search_read", [], ["view_location_id"], limit=1)[0]
    products = server.call(
        "product.product",
        "create",
        [{"name": f"Sync e2e {index}", "is_storable": True} for index in range(20)],
    )
    locations = server.call(
        "stock.location",
        "create",
        [
            {
                "name": f"SYNC-E2E-{index}",
                "usage": "internal",
                "location_id": warehouse["view_location_id"][0],
            }
            for index in range(3)
        ],
    )
    xrefs = [
        (types["product"], f"SYNC-E2E-{index}", product) for index, product in enumerate(products)
    ] + [
        (types["location"], f"SYNC-E2E/{index}", location)
        for index, location in enumerate(locations)
    ]
    server.call(
        "mfg.integration.xref",
        "create",
        [
            {"system_id": system_id, "object_type_id": kind, "external_id": external, "res_id": res}
            for kind, external, res in xrefs
        ],
    )
    unit = server.call("uom.uom", "search", [("name", "=", "Units")], limit=1)[0]
    server.call(
        "mfg.integration.value.map",
        "create",
        {
            "system_id": system_id,
            "domain": "uom",
            "target_model": "uom.uom",
            "line_ids": [
                (
                    0,
                    0,
                    {
                        "external_code": "EA",
                        "record_ref": f"uom.uom,{unit}",
                        "canonical_value": "unit",
                    },
                )
            ],
        },
    )
    return server.call(
        "mfg.integration.sync.job",
        "create",
        {
            "name": "WMS stock e2e",
            "client_id": client_id,
            "endpoint_url": endpoint,
            "page_size": PAGE,
            "timeout": 10,
            "stall_seconds": 1,
        },
    )


def _run(server, job_id, fields=("state", "page_count", "read_count")):
    runs = server.call(
        "mfg.integration.sync.run", "search_read", [("job_id", "=", job_id)], list(fields)
    )
    return runs[0] if runs else None


def test_a_run_killed_mid_way_resumes_from_its_cursor(plant):
    state, wms, job_id, restart = plant
    server = state["server"]
    server.call("mfg.integration.sync.job", "action_run_now", [job_id])
    assert wait_for(
        lambda: (_run(server, job_id) or {}).get("page_count", 0) >= 3, 120
    ), "the run did not commit pages"
    kill_server(state["process"])
    # what the database holds after the crash: committed pages and their cursor only
    committed = int(
        server.sql(f"SELECT page_count FROM mfg_integration_sync_run WHERE job_id = {job_id}")
    )
    cursor = int(
        server.sql(f"SELECT cursor_after_id FROM mfg_integration_sync_job WHERE id = {job_id}")
    )
    assert 3 <= committed < ROWS // PAGE
    assert cursor == committed * PAGE
    server = restart()
    # the scheduler finds the run stalled (no commit, no worker holding it) and resumes it
    _model, cron = server.call(
        "ir.model.data", "check_object_reference", "mfg_integration_sync", "cron_run_due"
    )
    server.call("ir.cron", "method_direct_trigger", [cron])
    assert wait_for(lambda: _run(server, job_id)["state"] in ("done", "failed"), 180)
    run = _run(
        server,
        job_id,
        (
            "state",
            "error",
            "page_count",
            "read_count",
            "created_count",
            "updated_count",
            "unchanged_count",
            "refused_count",
            "conflict_count",
            "resume_count",
            "cursor_after",
            "job_uuid",
        ),
    )
    assert run["state"] == "done", run["error"]
    assert (
        run["page_count"],
        run["read_count"],
        run["created_count"],
        run["updated_count"]
        + run["unchanged_count"]
        + run["refused_count"]
        + run["conflict_count"],
        run["resume_count"],
    ) == (ROWS // PAGE, ROWS, ROWS, 0, 1)
    assert run["cursor_after"].endswith(f"#{ROWS}")
    # no committed page was read twice; the page in flight at the kill at most twice
    asked = Counter(request["after_id"] for request in wms.requests)
    assert set(asked) == set(range(0, ROWS, PAGE))
    twice = {after_id for after_id, count in asked.items() if count > 1}
    assert twice <= {cursor}, asked
    assert max(asked.values()) <= 2
    # each record applied once: one message each, and Odoo holds the WMS's quantities
    applied = server.sql(
        "SELECT count(*) FROM mfg_integration_message_log WHERE route = 'SYNC WMS stock e2e'"
    )
    assert int(applied) == ROWS
    on_hand = server.sql(
        "SELECT sum(q.quantity) FROM stock_quant q JOIN stock_location l ON l.id = q.location_id"
        " WHERE l.name LIKE 'SYNC-E2E-%'"
    )
    assert float(on_hand) == sum(range(1, ROWS + 1))
    # the job the crash left behind is cancelled; the resumed one is done
    jobs = server.call(
        "queue.job",
        "search_read",
        [("model_name", "=", "mfg.integration.sync.run")],
        ["state", "uuid"],
        order="id",
    )
    assert [job["state"] for job in jobs] == ["cancelled", "done"]
    assert jobs[-1]["uuid"] == run["job_uuid"]
