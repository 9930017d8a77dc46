"""Batch sync and reconciliation (mfg_integration_sync) against plain approaches
measured in the same run:

- reconcile N stock rows per side (a million in the full run) with 100 planted
  differences (missing both ways, changed quantities) by extract (target:
  within 60 s, peak memory of the reconciling process at most 300 MB) and by
  checksums (target: reading at most 2% of the records), against reading both
  sides through the ORM and comparing in Python (on a tenth of the rows;
  target: at least 20 times the records per second);
- a pull of M records in pages of 1,000 (records per second) against the same
  records pushed by a client through JSON-RPC execute_kw with known ids, two
  calls a count (target: at least twice as fast).

The WMS is demo/fake_wms.py's GeneratedWms, served from this process; Odoo's
side is inserted by SQL. The reconciliations and the pull run in an
``odoo-bin shell`` process (the code a queue job runs: the pull through its
queue job), the JSON-RPC client against a real server. Run by bench/suite.py,
or alone on a database with mfg_integration_sync installed:

    .venv/bin/python bench/sync.py --odoo-src ODOO --conf odoo.conf --db DB --quick
"""

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent / "demo"))

from fake_wms import GeneratedWms, serve  # noqa: E402
from harness import odoo_shell, start_server, stop_server  # noqa: E402

PLANTED = 100  # differences: a third missing in the WMS, a third changed, a third extra
PAGE = 1000
SIZES = {
    True: {"recon": 5_000, "plain": 2_000, "pull": 50, "rpc": 10},
    False: {"recon": 1_000_000, "plain": 100_000, "pull": 100_000, "rpc": 500},
}

SETUP_SCRIPT = """
import json
from odoo.tests import new_test_user
recon_rows, pull_rows = {recon_rows}, {pull_rows}
warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
parent = warehouse.view_location_id
unit = env.ref("uom.product_uom_unit")
products = env["product.product"].create(
    [{{"name": f"Bench part {{i:04d}}", "is_storable": True}} for i in range(1000)]
)
types = {{t.code: t.id for t in env["mfg.integration.object.type"].search([])}}
groups = "base.group_user,mfg_integration_core.group_integration_manager"
requester = new_test_user(env, login="bench_sync_requester", groups=groups)
approver = new_test_user(env, login="bench_sync_approver", groups=groups)
scopes = env["mfg.integration.scope"].search([("code", "=", "inventory:write")])
out = {{"products": products.ids}}
for code, prefix, rows in (("BENCH-RECON", "GL", recon_rows), ("BENCH-PULL", "PL", pull_rows)):
    system = env["mfg.integration.system"].create(
        {{"code": code, "name": code, "kind": "wms", "warehouse_id": warehouse.id}}
    )
    locations = env["stock.location"].create(
        [{{"name": f"{{prefix}}{{i:04d}}", "usage": "internal", "location_id": parent.id}}
         for i in range(-(-rows // 1000) + 1)]
    )
    env["mfg.integration.xref"].create(
        [{{"system_id": system.id, "object_type_id": types["product"],
           "external_id": f"GP{{i:04d}}", "res_id": product.id}}
         for i, product in enumerate(products)]
        + [{{"system_id": system.id, "object_type_id": types["location"],
             "external_id": f"GL{{i:04d}}", "res_id": location.id}}
           for i, location in enumerate(locations)]
    )
    env["mfg.integration.value.map"].create({{
        "system_id": system.id, "domain": "uom", "target_model": "uom.uom",
        "line_ids": [(0, 0, {{"external_code": "EA", "record_ref": f"uom.uom,{{unit.id}}",
                             "canonical_value": "unit"}})],
    }})
    client = env["mfg.integration.client"].with_user(requester).create(
        {{"name": f"{{code}} sync", "system_id": system.id, "scope_ids": [(6, 0, scopes.ids)]}}
    )
    client.action_submit()
    client.with_user(approver).action_approve()
    out[code] = {{"system": system.id, "client": client.id, "locations": locations.ids}}
env.flush_all()
# Odoo's side of the reconciliation: row i as the generated WMS makes it
env.cr.execute('''
    INSERT INTO stock_quant (product_id, location_id, company_id, quantity, reserved_quantity,
                             in_date, create_date, write_date, create_uid, write_uid)
    SELECT (%s::int[])[i %% 1000 + 1], (%s::int[])[i / 1000 + 1], %s, i %% 97 + 1, 0,
           now(), now(), now(), 1, 1
      FROM generate_series(0, %s - 1) AS i''',
    (products.ids, out["BENCH-RECON"]["locations"], env.company.id, recon_rows))
# what autovacuum does a minute after such inserts: without statistics the
# planner takes these tables for a handful of rows
for table in ("stock_quant", "stock_location", "product_product", "mfg_integration_xref"):
    env.cr.execute(f"ANALYZE {{table}}")
env.cr.commit()
print("SETUP " + json.dumps(out))
"""

MEASURE_SCRIPT = """
import json, time
import requests
from odoo.addons.queue_job.job import Job
ids, urls, sizes = {ids}, {urls}, {sizes}
result = {{}}

def peak_reset():
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")

def peak_mb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024

SyncJob = env["mfg.integration.sync.job"]
recon_job = SyncJob.create({{
    "name": "Bench reconciliation", "client_id": ids["BENCH-RECON"]["client"],
    "endpoint_url": urls["recon"], "page_size": 10000, "recon_threshold": 1000, "timeout": 120,
}})
env.cr.commit()
for method in ("extract", "checksum"):
    recon_job.recon_method = method
    env.cr.commit()
    env.invalidate_all()
    peak_reset()
    started = time.perf_counter()
    recon = env["mfg.integration.recon"]._reconcile(recon_job)
    env.cr.commit()
    seconds = time.perf_counter() - started
    result[method] = {{
        "seconds": seconds, "peak_mb": peak_mb(), "state": recon.state, "error": recon.error,
        "system": recon.system_count, "odoo": recon.odoo_count, "read": recon.records_read,
        "requests": recon.request_count,
        "found": [recon.missing_in_system_count, recon.different_count,
                  recon.missing_in_odoo_count],
    }}

# the plain approach: both sides read through the ORM (the WMS's pages over
# HTTP), compared in Python
env.invalidate_all()
peak_reset()
started = time.perf_counter()
system_side, position = {{}}, {{}}
while True:
    page = requests.get(urls["plain"], params={{"limit": 10000, **position}}, timeout=120).json()
    for record in page["records"]:
        key = (record["product"], record["location"], record["lot"] or "")
        system_side[key] = round(float(record["quantity"]), 4)
    if not page["next"]:
        break
    position = page["next"]
codes = {{}}
for xref in env["mfg.integration.xref"].search_read(
    [("system_id", "=", ids["BENCH-RECON"]["system"])], ["object_type_id", "external_id", "res_id"]
):
    codes[(xref["object_type_id"][1], xref["res_id"])] = xref["external_id"]
type_names = {{t.code: t.display_name for t in env["mfg.integration.object.type"].search([])}}
locations = ids["BENCH-RECON"]["locations"][: -(-sizes["plain"] // 1000)]
odoo_side = {{}}
for quant in env["stock.quant"].search_read(
    [("location_id", "in", locations)], ["product_id", "location_id", "lot_id", "quantity"]
):
    key = (
        codes[(type_names["product"], quant["product_id"][0])],
        codes[(type_names["location"], quant["location_id"][0])],
        quant["lot_id"][1] if quant["lot_id"] else "",
    )
    odoo_side[key] = round(odoo_side.get(key, 0.0) + quant["quantity"], 4)
found = [
    sum(1 for key in odoo_side if key not in system_side),
    sum(1 for key, value in system_side.items() if key in odoo_side and odoo_side[key] != value),
    sum(1 for key in system_side if key not in odoo_side),
]
result["plain"] = {{
    "seconds": time.perf_counter() - started, "peak_mb": peak_mb(),
    "system": len(system_side), "odoo": len(odoo_side), "found": found,
}}

# the pull: a run of a sync job, through its queue job, as the job runner performs it
pull_job = SyncJob.create({{
    "name": "Bench pull", "client_id": ids["BENCH-PULL"]["client"], "endpoint_url": urls["pull"],
    "page_size": {page}, "timeout": 120,
}})
env.cr.commit()
started = time.perf_counter()
run = pull_job._start_run()
env.cr.commit()
job = Job.load(env, run.job_uuid)
job.set_started()
job.perform()
job.set_done()
job.store()
env.cr.commit()
seconds = time.perf_counter() - started
run.invalidate_recordset()
result["pull"] = {{
    "seconds": seconds, "state": run.state, "error": run.error, "pages": run.page_count,
    "read": run.read_count, "created": run.created_count, "refused": run.refused_count,
}}
print("MEASURED " + json.dumps(result))
"""


def planted(rows, plain_rows, seed=24):
    """(missing in the WMS, changed in the WMS, extra rows): drawn in the
    first plain_rows rows, so that the plain approach meets all of them too."""
    drawn = random.Random(seed).sample(range(min(rows, plain_rows)), PLANTED * 2 // 3)
    half = len(drawn) // 2
    return drawn[:half], drawn[half:], PLANTED - len(drawn)


def printed(output, tag):
    line = next(line for line in output.splitlines() if line.startswith(tag + " "))
    return json.loads(line[len(tag) + 1 :])


def push_by_json_rpc(url, db, records, ids, helpers):
    """Each record as a client pushes it with known ids: a quant in inventory
    mode, then its inventory applied (two execute_kw calls)."""
    session = requests.Session()

    def call(service, method, *args):
        body = session.post(
            url + "/jsonrpc",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": service, "method": method, "args": args},
            },
            timeout=120,
        ).json()
        if "error" in body:
            raise RuntimeError(body["error"]["data"]["message"])
        return body.get("result")

    uid = call("common", "login", db, "admin", "admin")

    def execute(method, *args, **kwargs):
        return call("object", "execute_kw", db, uid, "admin", "stock.quant", method, args, kwargs)

    started = time.perf_counter()
    for record in records:
        product = ids["products"][int(record["product"][2:])]
        location = ids["BENCH-PULL"]["locations"][int(record["location"][2:])]
        values = {
            "product_id": product,
            "location_id": location,
            "inventory_quantity": record["quantity"],
        }
        quant = execute("create", values, context={"inventory_mode": True})
        execute("action_apply_inventory", [quant])
    return len(records) / (time.perf_counter() - started)


CLEAR_PULL_SCRIPT = """
env.cr.execute("DELETE FROM stock_quant WHERE location_id = ANY(%s)", ({locations},))
env.cr.commit()
"""


def measure(odoo_src, conf, db, sizes, logs, helpers):
    """The table's rows of the sync measures."""
    progress, verdict = helpers["progress"], helpers["verdict"]
    missing, changed, extra = planted(sizes["recon"], sizes["plain"])
    recon_wms = GeneratedWms(sizes["recon"], missing, changed, extra, timeout_seconds=1)
    plain_wms = GeneratedWms(
        sizes["plain"],
        [i for i in missing if i < sizes["plain"]],
        [i for i in changed if i < sizes["plain"]],
        extra,
    )
    pull_wms = GeneratedWms(sizes["pull"])
    servers = [serve(wms, 0) for wms in (recon_wms, plain_wms, pull_wms)]
    urls = {
        name: f"http://127.0.0.1:{server.server_address[1]}/stock"
        for name, server in zip(("recon", "plain", "pull"), servers, strict=True)
    }
    try:
        progress(f"sync: {sizes['recon']} stock rows in Odoo, the WMS's checksum index")
        ids = printed(
            odoo_shell(
                odoo_src,
                conf,
                db,
                SETUP_SCRIPT.format(recon_rows=sizes["recon"], pull_rows=sizes["pull"]),
            ),
            "SETUP",
        )
        recon_wms.checksums("")  # the WMS sorts its key hashes once, before the measure
        progress(f"sync: {sizes['rpc']} counts pushed through JSON-RPC")
        records = pull_wms.page("1970-01-01T00:00:00Z", 0, sizes["rpc"])["records"]
        process, server = start_server(odoo_src, conf, db, Path(logs) / "odoo-sync.log")
        try:
            rpc_rate = push_by_json_rpc(server.url, db, records, ids, helpers)
        finally:
            stop_server(process)
        locations = ids["BENCH-PULL"]["locations"]
        odoo_shell(odoo_src, conf, db, CLEAR_PULL_SCRIPT.format(locations=locations))
        progress("sync: reconciliations by extract and by checksums, the plain one, the pull")
        measured = printed(
            odoo_shell(
                odoo_src,
                conf,
                db,
                MEASURE_SCRIPT.format(ids=ids, urls=urls, sizes=sizes, page=PAGE),
            ),
            "MEASURED",
        )
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    return rows(measured, sizes, (len(missing), len(changed), extra), rpc_rate, verdict)


def rows(measured, sizes, expected, rpc_rate, verdict):
    extract, checksum, plain, pull = (measured[k] for k in ("extract", "checksum", "plain", "pull"))
    expected = list(expected)
    table = [
        (
            f"Reconciliation: {sizes['recon']} stock rows per side, {PLANTED} planted "
            "differences (s; peak RSS MB of the process)",
            "",
            "",
            "",
        )
    ]
    for label, result in (("by extract (COPY, SQL)", extract), ("by checksums", checksum)):
        right = result["state"] == "done" and result["found"] == expected
        table.append(
            (
                f"  {label}: found {sum(result['found'])}, exactly the planted: "
                f"{'yes' if right else 'NO ' + str(result['found']) + ' ' + str(result['error'])}",
                f"{result['seconds']:.1f} s",
                f"{result['peak_mb']}",
                "",
            )
        )
    table.append(
        (
            "  extract: seconds, target <= 60; peak MB, target <= 300",
            f"{extract['seconds']:.1f}",
            verdict(extract["seconds"] <= 60),
            verdict(extract["peak_mb"] <= 300),
        )
    )
    share = checksum["read"] / max(checksum["system"], 1)
    table.append(
        (
            f"  checksums: records read ({checksum['requests']} requests), target <= 2%",
            f"{checksum['read']}",
            f"{share:.2%}",
            verdict(share <= 0.02),
        )
    )
    plain_right = plain["found"] == expected  # every planted difference is in its rows
    plain_rate = plain["system"] / plain["seconds"]
    extract_rate = extract["system"] / extract["seconds"]
    table.append(
        (
            f"  plain: ORM + Python on {sizes['plain']} rows (records/s; found the planted: "
            f"{'yes' if plain_right else 'NO ' + str(plain['found'])})",
            f"{plain_rate:.0f}",
            f"{plain['seconds']:.1f} s",
            f"{plain['peak_mb']}",
        )
    )
    ratio = extract_rate / plain_rate
    table.append(
        (
            "  extract records/s over the plain one's, target >= 20",
            f"{ratio:.1f}",
            verdict(ratio >= 20),
            "",
        )
    )
    pull_rate = pull["read"] / pull["seconds"]
    title = f"Pull: {sizes['pull']} stock records in pages of {PAGE} (records/s)"
    table.append((title, "", "", ""))
    table.append(
        (
            f"  sync job run ({pull['state']}, {pull['pages']} pages, {pull['created']} created, "
            f"{pull['refused']} refused)",
            f"{pull_rate:.1f}",
            f"{pull['seconds']:.0f} s",
            "",
        )
    )
    table.append(
        (
            f"  JSON-RPC execute_kw, known ids, 2 calls a record, a sample of {sizes['rpc']}",
            f"{rpc_rate:.1f}",
            "",
            "",
        )
    )
    table.append(
        (
            "  ratio pull / JSON-RPC, target >= 2",
            f"{pull_rate / rpc_rate:.2f}",
            verdict(pull_rate / rpc_rate >= 2),
            "",
        )
    )
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--odoo-src", required=True)
    parser.add_argument("--conf", required=True, help="a server config (workers, queue_job)")
    parser.add_argument("--db", required=True)
    parser.add_argument("--quick", action="store_true")
    for name in SIZES[True]:
        parser.add_argument(f"--{name}", type=int, help=f"rows of the {name} measure")
    args = parser.parse_args()
    sizes = dict(SIZES[args.quick])
    sizes.update({name: getattr(args, name) for name in sizes if getattr(args, name)})
    started = time.monotonic()

    def progress(what):
        print(f"[{time.monotonic() - started:5.0f} s] {what}", file=sys.stderr, flush=True)

    helpers = {"progress": progress, "verdict": lambda met: "met" if met else "MISSED"}
    table = measure(args.odoo_src, args.conf, args.db, sizes, tempfile.mkdtemp(), helpers)
    width = max(len(row[0]) for row in table)
    for name, *values in table:
        print(f"{name.ljust(width)}  {values[0]:>10} {values[1]:>8} {values[2]:>8}")


if __name__ == "__main__":
    main()
