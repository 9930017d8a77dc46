"""Master data measure of bench/run: a PLM's items and BoMs loaded through the
asynchronous ``masterdata.load`` command (POST /masterdata/loads, 202, the
request status polled), against the same records created through JSON-RPC
``execute_kw`` by a client that already knows every id (units, category,
routes, the components' product ids), 4 clients in parallel.

- items: ``items`` parts (part number, revision, name, unit, category, make or
  buy, weight); the first ``boms`` of them are the BoMs' parents, the others
  their components
- BoMs: ``boms`` revisions of ``lines`` lines each, sent once every item is in
  (the JSON-RPC client needs the items' ids for its lines too)

JSON-RPC creates the same shape (items, then BoMs of as many lines) for a
sample at full size: its rate does not change with the count, every call is
on its own (and each product create makes Odoo clear its caches in every
worker: 11,000 calls would take JSON-RPC over an hour here). Both rates and
times (JSON-RPC's for all the records, from its rate), and the peak memory of
a worker of the server during each (the job runs in a worker, as JSON-RPC's
calls do). Target: the load at least 2 times faster than JSON-RPC.

    python bench/masterdata.py --odoo-src /opt/odoo/18.0 --conf CONF --db DB [--quick]

runs this measure alone on a database with the demo plant (PLM-01 and its key);
bench/run runs it among the others.
"""

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent / "demo"))

# records per load, as a PLM pages a large release: a load's job runs in an HTTP
# worker, which Odoo stops after limit_time_real (120 s by default)
LOAD_RECORDS = 100
WAITING = ("queued", "processing")
TARGET = 2.0


def item_records(run, items, boms):
    return [
        {
            "kind": "item",
            "data": {
                "part_number": f"BM{run}-{n}",
                "revision": "A",
                "name": f"Bench part {n}",
                "unit": "EA",
                "make_or_buy": "make" if n < boms else "buy",
                "weight": 0.5,
            },
        }
        for n in range(items)
    ]


def component_numbers(bom, items, boms, lines):
    """The components of BoM ``bom``: items that are no BoM's parent (no cycle)."""
    return [boms + (bom * lines + line) % (items - boms) for line in range(lines)]


def bom_records(run, items, boms, lines):
    return [
        {
            "kind": "bom",
            "data": {
                "parent": f"BM{run}-{bom}",
                "revision": "A",
                "change_number": f"ECO-{run}-{bom}",
                "quantity": 1,
                "unit": "EA",
                "lines": [
                    {"component": f"BM{run}-{n}", "quantity": 2}
                    for n in component_numbers(bom, items, boms, lines)
                ],
            },
        }
        for bom in range(boms)
    ]


def load_through_command(rest, rpc, records):
    """POST the records in loads of LOAD_RECORDS, wait until every load is
    applied; the per-record results must all be done."""
    ids = [
        int(
            rest.call("POST", "/masterdata/loads", {"records": records[i : i + LOAD_RECORDS]})
            .headers["Location"]
            .rsplit("/", 1)[-1]
        )
        for i in range(0, len(records), LOAD_RECORDS)
    ]
    Request = "mfg.integration.api.request"
    while rpc.execute(Request, "search_count", [("id", "in", ids), ("state", "in", WAITING)]):
        time.sleep(0.2)
    return ids


def check_loads(rest, ids):
    for request_id in ids:
        status = rest.call("GET", f"/requests/{request_id}").json()
        assert status["status"] == "done" and status["done"] == status["items"], {
            key: status[key] for key in ("status", "items", "done")
        }


class KnownIds:
    """What the JSON-RPC client knows before it starts (read once, not timed)."""

    def __init__(self, rpc):
        self.unit = rpc.execute(
            "ir.model.data", "check_object_reference", "uom", "product_uom_unit"
        )[1]
        self.category = rpc.execute(
            "ir.model.data", "check_object_reference", "product", "product_category_all"
        )[1]
        self.routes = {
            "make": rpc.execute(
                "ir.model.data", "check_object_reference", "mrp", "route_warehouse0_manufacture"
            )[1],
            "buy": rpc.execute(
                "ir.model.data", "check_object_reference", "purchase_stock", "route_warehouse0_buy"
            )[1],
        }


def create_items_rpc(rpc, known, run, items, boms, run_parallel):
    """One product.product create per item (the same fields the load sets);
    returns {number: (product id, template id)}."""
    created = {}

    def create(n):
        product = rpc.execute(
            "product.product",
            "create",
            {
                "name": f"RPC part {n}",
                "default_code": f"RP{run}-{n}",
                "is_storable": True,
                "uom_id": known.unit,
                "uom_po_id": known.unit,
                "categ_id": known.category,
                "route_ids": [(6, 0, [known.routes["make" if n < boms else "buy"]])],
                "weight": 0.5,
            },
        )
        created[n] = product

    run_parallel([(lambda n=n: create(n)) for n in range(items)])
    return created


def create_boms_rpc(rpc, known, products, items, boms, lines, run_parallel):
    """The parents' templates (read once: the client knows them), then one
    mrp.bom create per BoM with its lines."""
    parents = rpc.execute(
        "product.product", "read", [products[n] for n in range(boms)], ["product_tmpl_id"]
    )
    templates = {row["id"]: row["product_tmpl_id"][0] for row in parents}

    def create(bom):
        rpc.execute(
            "mrp.bom",
            "create",
            {
                "product_tmpl_id": templates[products[bom]],
                "product_qty": 1,
                "product_uom_id": known.unit,
                "code": "A",
                "bom_line_ids": [
                    (
                        0,
                        0,
                        {"product_id": products[n], "product_qty": 2, "product_uom_id": known.unit},
                    )
                    for n in component_numbers(bom, items, boms, lines)
                ],
            },
        )

    run_parallel([(lambda b=b: create(b)) for b in range(boms)])


def measure(process, rest, rpc, sizes, helpers):
    """Rows of the table: the load's and JSON-RPC's seconds and rates, their
    ratio against the target, and each one's peak worker memory."""
    progress, run_parallel = helpers["progress"], helpers["run_parallel"]
    reset_peak, peak = helpers["reset_peak_memory"], helpers["peak_memory_mb"]
    items, boms, lines, rpc_items, rpc_boms = sizes
    run = f"{int(time.time())}"
    records = item_records(run, items, boms) + bom_records(run, items, boms, lines)
    known = KnownIds(rpc)

    progress(f"master data: {rpc_items} items and {rpc_boms} BoMs through JSON-RPC, 4 clients")
    reset_peak(process)
    started = time.perf_counter()
    products = create_items_rpc(rpc, known, run, rpc_items, rpc_boms, run_parallel)
    create_boms_rpc(rpc, known, products, rpc_items, rpc_boms, lines, run_parallel)
    rpc_seconds = time.perf_counter() - started
    rpc_memory = peak(process)
    made = rpc.execute(
        "mrp.bom", "search_count", [("product_tmpl_id.default_code", "=like", f"RP{run}-%")]
    )
    assert made == rpc_boms, f"JSON-RPC made {made} of {rpc_boms} BoMs"
    rpc_rate = (rpc_items + rpc_boms) / rpc_seconds
    progress(f"master data: JSON-RPC {rpc_rate:.2f} records/s in {rpc_seconds:.0f} s")

    progress(f"master data: {items} items and {boms} BoMs through masterdata.load")
    reset_peak(process)
    started = time.perf_counter()
    ids = load_through_command(rest, rpc, records[:items])
    ids += load_through_command(rest, rpc, records[items:])
    load_seconds = time.perf_counter() - started
    load_memory = peak(process)
    check_loads(rest, ids)

    per_second = (items + boms) / load_seconds, rpc_rate
    ratio = per_second[0] / per_second[1]
    verdict = helpers["verdict"]
    return [
        (
            f"Master data: {items} items and {boms} BoMs of {lines} lines (s; records/s; MB)",
            "",
            "",
            "",
        ),
        (
            f"  masterdata.load, asynchronous (loads of {LOAD_RECORDS} records)",
            f"{load_seconds:.0f} s",
            f"{per_second[0]:.0f}",
            f"{load_memory}",
        ),
        (
            f"  JSON-RPC execute_kw, known ids, 1 call a record, 4 clients "
            f"({rpc_items + rpc_boms} records, time for all from its rate)",
            f"{(items + boms) / per_second[1]:.0f} s",
            f"{per_second[1]:.0f}",
            f"{rpc_memory}",
        ),
        (
            f"  speed-up (ratio of the rates), target >= {TARGET:g}",
            f"{ratio:.2f}",
            verdict(ratio >= TARGET),
            "",
        ),
    ]


# items, BoMs, lines a BoM; JSON-RPC's items and BoMs
SIZES = {"quick": (100, 10, 10, 40, 4), "full": (10_000, 1_000, 10, 500, 50)}


def main(argv=None):
    import suite  # the table's helpers (suite imports this module: not at the top)
    from credentials import issue_credentials
    from harness import start_server, stop_server

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo-src", required=True)
    parser.add_argument("--conf", required=True, help="server config (workers, queue_job)")
    parser.add_argument("--db", required=True, help="a database with the demo plant")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    log = Path(args.conf).with_name("bench-masterdata.log")
    process, server = start_server(args.odoo_src, args.conf, args.db, log)
    try:
        credentials = issue_credentials(server.url, args.db, "http://127.0.0.1:9")
        rpc = suite.JsonRpc(server.url, args.db)
        # as bench/run's prepare: no delivery to the demo's unreachable receivers
        Endpoint = "mfg.integration.webhook.endpoint"
        rpc.execute(Endpoint, "write", rpc.execute(Endpoint, "search", []), {"state": "paused"})
        rest = suite.Rest(server.url, credentials["keys"]["PLM-01"])
        sizes = SIZES["quick" if args.quick else "full"]
        rows = measure(process, rest, rpc, sizes, suite.HELPERS)
    finally:
        stop_server(process)
    width = max(len(row[0]) for row in rows)
    for name, *values in rows:
        print(f"{name.ljust(width)}  {values[0]:>10} {values[1]:>8} {values[2]:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
