"""PLM-01 in the demo plant (demo/plm.py): it publishes the pump's parts and
releases BoM revisions with change numbers; a bad revision is refused and
lands in the exception app; MES-01 hears of every release at the demo
receiver, signed. Runs on the demo fixture's server, after the short scenario
(test_demo_e2e.py), whose exceptions it leaves as they were."""

from harness import wait_for
from plm import COMPONENTS, PARENT
from simulator import Plant

BOM_RELEASED = "masterdata.bom.released.v1"


def test_plm_publishes_revisions_and_mes_01_receives_each_release(demo):
    server, receiver, credentials = demo
    call = server.call
    plant = Plant(server.url, credentials, seed=11)
    assert plant.plm, "the demo issues PLM-01 a key"
    unknown_before = call(
        "mfg.integration.exception", "search_count", [("category", "=", "unknown_reference")]
    )

    # the first release publishes the pump and its parts first
    first = plant.plm.release_bom(bad=False)
    assert [action for action, _s, _l, _p in plant.results] == [
        *["publish item"] * (1 + len(COMPONENTS)),
        "release BoM revision",
    ]
    assert all(status < 300 for _a, status, _l, _p in plant.results), plant.results
    bad = plant.plm.release_bom(bad=True)
    second = plant.plm.release_bom(bad=False)
    assert first.status_code < 300 and first.json()["status"] == "released", first.text
    assert second.status_code < 300 and second.json()["status"] == "released", second.text
    assert second.json()["previous_revision"] == first.json()["revision"]
    assert bad.status_code == 422, bad.text
    assert bad.json()["type"].endswith("/unknown-reference"), bad.text

    # the second revision is the pump's one active BoM; the first is archived, kept
    boms = call(
        "mrp.bom",
        "search_read",
        [("product_tmpl_id.name", "=", PARENT[1]), ("active", "in", [True, False])],
        ["active", "mfg_revision", "mfg_change_number"],
        order="id desc",
        limit=2,
    )[::-1]
    assert call("mrp.bom", "search_count", [("product_tmpl_id.name", "=", PARENT[1])]) == 1
    assert [(b["active"], b["mfg_revision"]) for b in boms] == [
        (False, first.json()["revision"]),
        (True, second.json()["revision"]),
    ]
    assert [b["mfg_change_number"] for b in boms] == [
        f"ECO-{plant.run}-001",
        f"ECO-{plant.run}-003",
    ]
    # the bad revision (ECO-...-002) changed nothing and is an open exception
    assert (
        call("mfg.integration.exception", "search_count", [("category", "=", "unknown_reference")])
        == unknown_before + 1
    )

    # MES-01 receives both releases at the demo receiver, signed, once each
    def releases():
        return [e for e in receiver.events if e["system"] == "MES-01" and e["type"] == BOM_RELEASED]

    assert wait_for(lambda: len(releases()) >= 2)
    numbers = sorted(e["data"]["change_number"] for e in releases())
    assert numbers == [f"ECO-{plant.run}-001", f"ECO-{plant.run}-003"]
    assert receiver.rejected == 0
