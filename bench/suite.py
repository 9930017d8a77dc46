"""The suite's benchmarks: each measure against a baseline taken in the same run,
on the same server, printed as one table.

    bench/run            # full run
    bench/run --quick    # small sizes, under a minute: proves the benchmark works
"""

import argparse
import importlib.util
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent / "demo"))
sys.path.insert(0, str(HERE))

import broker  # noqa: E402
import health  # noqa: E402
import masterdata  # noqa: E402
import peers  # noqa: E402
import sync  # noqa: E402
from broker_harness import start_consumer, stop_consumer  # noqa: E402
from credentials import issue_credentials  # noqa: E402
from harness import odoo_shell, start_server, stop_server, wait_for  # noqa: E402

import observability  # noqa: E402

API = "/api/mfg/v1"
THREADS = 4
WEBHOOK_ADDON = HERE.parent / "addons" / "mfg_integration_webhook"


def load(name, path):
    """A module of the addon by file, without loading the addon into Odoo."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sign = load("webhook_crypto", WEBHOOK_ADDON / "crypto.py").sign
Receiver = load("webhook_receiver", WEBHOOK_ADDON / "tests" / "receiver.py").Receiver


def plain_loop(url, count, secret):
    """The practical ceiling: sign and POST in a loop over one kept-alive connection."""
    session = requests.Session()
    started = time.perf_counter()
    for index in range(count):
        event_id = f"evt_{secrets.token_hex(16)}"
        body = json.dumps(
            {
                "specversion": "1.0",
                "id": event_id,
                "type": "mfg.integration.test.v1",
                "source": "/bench",
                "subject": f"bench/{index}",
                "data": {"endpoint": "bench", "message": f"benchmark event {index}"},
            },
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(time.time()))
        session.post(
            url,
            data=body,
            timeout=10,
            headers={
                "Content-Type": "application/json",
                "webhook-id": event_id,
                "webhook-timestamp": timestamp,
                "webhook-signature": sign(secret, event_id, timestamp, body),
            },
        )
    return count / (time.perf_counter() - started)


# ----------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------
STARTED = time.monotonic()


def progress(what):
    """What runs now, on stderr: the table comes at the end."""
    print(f"[{time.monotonic() - STARTED:5.0f} s] {what}", file=sys.stderr, flush=True)


_SESSIONS = threading.local()


def thread_session(purpose):
    """A kept-alive HTTP session of this thread, one per purpose (their
    connections stay apart)."""
    session = getattr(_SESSIONS, purpose, None)
    if session is None:
        session = requests.Session()
        setattr(_SESSIONS, purpose, session)
    return session


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run_parallel(calls, threads=THREADS):
    """Run callables from `threads` threads; (operations per second, latencies in ms)."""
    latencies, errors, lock = [], [], threading.Lock()
    chunks = [calls[i::threads] for i in range(threads)]

    def worker(chunk):
        for call in chunk:
            started = time.perf_counter()
            try:
                call()
            except Exception as error:
                with lock:
                    errors.append(repr(error))
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} calls failed, first: {errors[0]}")
    return len(calls) / elapsed, latencies


def server_workers(process):
    """The /proc folders of the server's workers (the HTTP workers run the
    requests and the jobs; the master only supervises)."""
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            pid = int(folder.name)
            if pid != process.pid and os.getpgid(pid) == process.pid:
                yield folder
        except (OSError, ProcessLookupError):
            continue


def peak_memory_mb(process):
    """Highest resident memory (VmHWM) of the server's workers since they
    started, or since reset_peak_memory."""
    peak = 0
    for folder in server_workers(process):
        try:
            text = (folder / "status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) // 1024)
    return peak


def reset_peak_memory(process):
    """Start a measure's own peak: Linux resets a process's high-water mark
    (VmHWM) to its current resident memory when told "5" in clear_refs."""
    for folder in server_workers(process):
        try:
            (folder / "clear_refs").write_text("5")
        except OSError:
            continue  # a worker that just exited


MEMORY = []  # (measure, peak RSS in MB of a worker of its server during it)


def memory_during(measure, process):
    """After a measure that reset_peak_memory(process) started: note its peak."""
    MEMORY.append((measure, peak_memory_mb(process)))


class JsonRpc:
    """Odoo's own external API: /jsonrpc execute_kw, as integrators use it."""

    def __init__(self, url, db, login="admin", password="admin"):
        self.url, self.db, self.password = url + "/jsonrpc", db, password
        self.uid = self._call("common", "login", db, login, password)

    def _call(self, service, method, *args):
        response = thread_session("jsonrpc").post(
            self.url,
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": service, "method": method, "args": args},
            },
            timeout=120,
        )
        body = response.json()
        if "error" in body:
            raise RuntimeError(body["error"]["data"]["message"])
        return body.get("result")

    def execute(self, model, method, *args, **kwargs):
        # as a client should: Odoo gives up on a conflict after its own retries
        for _attempt in range(5):
            try:
                return self._execute(model, method, *args, **kwargs)
            except RuntimeError as error:
                if "could not serialize" not in str(error):
                    raise
                time.sleep(1)
        return self._execute(model, method, *args, **kwargs)

    def _execute(self, model, method, *args, **kwargs):
        return self._call(
            "object",
            "execute_kw",
            self.db,
            self.uid,
            self.password,
            model,
            method,
            list(args),
            kwargs,
        )


class Rest:
    def __init__(self, url, key):
        self.url, self.key = url + API, key

    def call(self, method, path, body=None, **headers):
        for _attempt in range(6):  # as a client should: 429 and 503 say when to come back
            response = thread_session("rest").request(
                method,
                self.url + path,
                json=body,
                timeout=120,
                headers={"Authorization": f"Bearer {self.key}", **headers},
            )
            if response.status_code not in (429, 503):
                break
            time.sleep(float(response.headers.get("Retry-After", 1)))
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response


# ----------------------------------------------------------------------
# measures
# ----------------------------------------------------------------------
def prepare(server, rpc):
    """Two products with a BoM, known to MES-01 as BENCH-1 (untracked) and
    BENCH-LOT-1 (finished lots); the demo's
    endpoints paused, two endpoints of the benchmark's own (no history, paused);
    rate limits far above what the benchmark sends."""
    Endpoint = "mfg.integration.webhook.endpoint"
    rpc.execute(Endpoint, "write", rpc.execute(Endpoint, "search", []), {"state": "paused"})
    # the limiter still runs on every request; a benchmark must not be refused by it.
    # An approved client's limits change by a request that another manager approves.
    Client, Change = "mfg.integration.client", "mfg.integration.client.change"
    limits = {"rate_limit_per_minute": 1_000_000, "rate_limit_burst": 100_000}
    proposal = {f"new_{name}": value for name, value in limits.items()}
    unapproved = rpc.execute(Client, "search", [("state", "!=", "approved")])
    rpc.execute(Client, "write", unapproved, limits)
    changes = [
        rpc.execute(Change, "create", {"client_id": client, **proposal})
        for client in rpc.execute(Client, "search", [("state", "=", "approved")])
    ]
    JsonRpc(rpc.url.removesuffix("/jsonrpc"), rpc.db, "consultant", "consultant").execute(
        Change, "action_approve", changes
    )
    for name in ("Bench A", "Bench B"):
        endpoint = rpc.execute(
            Endpoint,
            "create",
            {
                "name": name,
                "url": "http://127.0.0.1:9/",
                "allow_insecure": True,
                "event_types": "mfg.integration.test.v1",
                "state": "paused",
            },
        )
        server.login()
        server.call(Endpoint, "action_generate_secret", [endpoint])
    housing = rpc.execute("product.product", "search", [("default_code", "=", "HSG-10")])[0]
    system = rpc.execute("mfg.integration.system", "search", [("code", "=", "MES-01")])[0]
    product_type = rpc.execute("mfg.integration.object.type", "search", [("code", "=", "product")])[
        0
    ]
    products = {}
    for external_id, name, tracking in (
        ("BENCH-1", "Bench valve", "none"),
        ("BENCH-LOT-1", "Bench valve, lot-tracked", "lot"),
    ):
        product = rpc.execute(
            "product.product", "create", {"name": name, "is_storable": True, "tracking": tracking}
        )
        template = rpc.execute("product.product", "read", [product], ["product_tmpl_id"])[0][
            "product_tmpl_id"
        ][0]
        rpc.execute(
            "mrp.bom",
            "create",
            {
                "product_tmpl_id": template,
                "bom_line_ids": [(0, 0, {"product_id": housing, "product_qty": 1})],
            },
        )
        rpc.execute(
            "mfg.integration.xref",
            "create",
            {
                "system_id": system,
                "object_type_id": product_type,
                "external_id": external_id,
                "res_id": product,
            },
        )
        products[external_id] = product
    stock = rpc.execute("stock.location", "search", [("complete_name", "=", "WH/Stock")])[0]
    # in inventory mode, as Odoo's own Physical Inventory: the product's quant in
    # the location is counted (without it, create adds a second quant)
    quant = rpc.execute(
        "stock.quant",
        "create",
        {"product_id": housing, "location_id": stock, "inventory_quantity": 100000},
        context={"inventory_mode": True},
    )
    rpc.execute("stock.quant", "action_apply_inventory", [quant])
    return products


def measure_inbound(rest, rpc, product, external_id, count, lot_tracked=False):
    """A final production confirmation: our route against execute_kw with known
    ids. With finished lots, JSON-RPC needs three calls (create the lot, set it
    on the order, mark done) where the route takes one request."""
    run = f"{int(time.time())}{'L' if lot_tracked else ''}"
    ids = [f"B{run}-{n}" for n in range(count)]

    def release(order_id):
        rest.call(
            "POST",
            "/production-orders",
            {"id": order_id, "product": external_id, "quantity": 2, "unit": "EA"},
        )

    # set-up, not measured: the route's orders as the MES releases them, and
    # as many for JSON-RPC
    run_parallel([(lambda o=o: release(o)) for o in ids])
    odoo_ids = peers.release_orders(rpc, product, count)

    def confirm(order_id):
        body = {"produced_quantity": 2, "final": True}
        if lot_tracked:
            body["lot"] = f"LOT-{order_id}"
        rest.call("POST", f"/production-orders/{order_id}/confirmations", body)

    def mark_done(production):
        if lot_tracked:
            # name_create: this Odoo 18.0's stock_account overrides stock.lot's create
            # without @api.model_create_multi, so execute_kw cannot call create
            lot, _name = rpc.execute(
                "stock.lot",
                "name_create",
                f"RPC-{run}-{production}",
                context={"default_product_id": product},
            )
            rpc.execute("mrp.production", "write", [production], {"lot_producing_id": lot})
        rpc.execute("mrp.production", "button_mark_done", [production])

    rest_rate, rest_lat = run_parallel([(lambda o=o: confirm(o)) for o in ids])
    rpc_rate, rpc_lat = run_parallel([(lambda p=p: mark_done(p)) for p in odoo_ids])
    done_domain = [("state", "=", "done")]
    if lot_tracked:
        done_domain.append(("lot_producing_id", "!=", False))
    done = rpc.execute("mrp.production", "search_count", [("id", "in", odoo_ids), *done_domain])
    done += rpc.execute(
        "mrp.production",
        "search_count",
        [("origin", "like", f"MES-01:B{run}-"), *done_domain],
    )
    assert done == 2 * count, f"{done} of {2 * count} orders done"
    return rest_rate, rest_lat, rpc_rate, rpc_lat


def post_echo(url, key, n, purpose="framework"):
    """One trivial command through the framework (bench/echo). No retry, unlike
    Rest.call: a refusal is a failed measure."""
    response = thread_session(purpose).post(
        url + API + "/bench/echo",
        json={"n": n},
        timeout=60,
        headers={
            "Authorization": f"Bearer {key}",
            "Idempotency-Key": f"{purpose}-{time.time_ns()}-{n}",
        },
    )
    assert response.status_code == 200, response.text


def measure_overhead(url, rest, count):
    def framework(n):
        post_echo(url, rest.key, n)

    def plain(n, path="/bench/bare/echo"):
        response = thread_session("bare").post(url + path, json={"n": n}, timeout=60)
        assert response.status_code == 200, response.text

    def durable(n):
        plain(n, "/bench/durable/echo")

    for n in range(20):  # warm every path
        framework(n)
        plain(n)
        durable(n)
    fw_rate, fw_lat = run_parallel([(lambda n=n: framework(n)) for n in range(count)])
    bare_rate, bare_lat = run_parallel([(lambda n=n: plain(n)) for n in range(count)])
    durable_rate, durable_lat = run_parallel([(lambda n=n: durable(n)) for n in range(count)])
    return fw_rate, fw_lat, (bare_rate, bare_lat), (durable_rate, durable_lat)


MAPPING_SCRIPT = """
import json, time
Mapping = env["mfg.integration.mapping"]
system = env["mfg.integration.system"].search([("code", "=", "MES-01")])
codes = ["FG-GX100", "FG-PM200", "RM-HSG10", "RM-SHF20", "RM-STL50"]
units = ["EA", "KGM"]
def run(n, clear):
    started = time.perf_counter()
    for i in range(n):
        if clear:
            Mapping._mapping_cache().clear()
        Mapping.resolve_record(system, "product", codes[i % len(codes)])
        Mapping.map_inbound(system, "uom", units[i % len(units)])
    return 2 * n / (time.perf_counter() - started)
run(50, False)
print("MAPPING " + json.dumps({"cached": run({n}, False), "uncached": run({n} // 5, True)}))
"""


def measure_mapping(args, count):
    output = odoo_shell(
        args.odoo_src, args.conf1, args.db, MAPPING_SCRIPT.replace("{n}", str(count))
    )
    line = next(line for line in output.splitlines() if line.startswith("MAPPING "))
    return json.loads(line[len("MAPPING ") :])


EMIT_COST_SCRIPT = """
import json, time
Event = env["mfg.integration.event"]
# a real event of the run: its type has a payload schema, its data matches it
sample = Event.search([("type_id.payload_schema", "!=", False)], order="id desc", limit=1)
record = env[sample.res_model].browse(sample.res_id)
data = json.loads(sample.data)
def run(n):
    started = time.perf_counter()
    for i in range(n):
        Event._emit(sample.type, record, data, subject=f"bench/emit/{i}")
    return (time.perf_counter() - started) / n * 1e6
run(50)
checked = run({n})
sample.type_id.payload_schema = False  # the same emit without a schema to check
unchecked = run({n})
env.cr.rollback()
print("EMIT " + json.dumps({"type": sample.type, "checked": checked, "unchecked": unchecked}))
"""


def measure_emit(args, count):
    """Microseconds per emit of a real event with its payload checked against
    its schema, and without (the schema removed, in a rolled-back transaction)."""
    output = odoo_shell(
        args.odoo_src, args.conf1, args.db, EMIT_COST_SCRIPT.replace("{n}", str(count))
    )
    line = next(line for line in output.splitlines() if line.startswith("EMIT "))
    return json.loads(line[len("EMIT ") :])


LOOKUPS = re.compile(
    r'^mfg_mapping_cache_lookups_total\{(?=[^}]*kind="(\w+)")[^}]*result="(hit|miss)"[^}]*\}'
    r"\s+([0-9.e+]+)$",
    re.MULTILINE,
)


def mapping_lookups(url, metrics_key):
    """{"hit": n, "miss": n} of the mapping cache, all workers (from /metrics)."""
    response = requests.get(
        url + "/metrics", headers={"Authorization": f"Bearer {metrics_key}"}, timeout=60
    )
    assert response.status_code == 200, f"/metrics: {response.status_code} {response.text[:300]}"
    counts = {"hit": 0.0, "miss": 0.0}
    for _kind, result, value in LOOKUPS.findall(response.text):
        counts[result] += float(value)
    return counts


def measure_mapping_ratio(server, credentials, seconds, warm_up, logs):
    """The mapping cache's own counters under the plant simulator's traffic
    (every request kind of MES-01, WMS-01 and the supplier portal, 4 requests a
    second): read from /metrics before and after ``seconds`` of it, once
    ``warm_up`` seconds of it have filled the workers' caches (a server runs
    for days; its first look-ups are misses once). Returns (hits, misses,
    requests answered)."""
    path = Path(logs) / "simulator-credentials.json"
    path.write_text(json.dumps(credentials))

    def simulate(duration, seed):
        result = subprocess.run(
            [sys.executable, str(HERE.parent / "demo" / "simulator.py"), "--url", server.url,
             "--credentials", str(path), "--rate", "4", "--duration", str(duration),
             "--seed", str(seed)],
            capture_output=True, text=True, check=True, timeout=duration + 300,
        )  # fmt: skip
        found = re.search(r"(\d+) requests", result.stdout)
        return int(found.group(1)) if found else 0

    simulate(warm_up, 1)
    before = mapping_lookups(server.url, credentials["metrics_key"])
    answered = simulate(seconds, 2)
    after = mapping_lookups(server.url, credentials["metrics_key"])
    return after["hit"] - before["hit"], after["miss"] - before["miss"], answered


EMIT_SCRIPT = """
import time
Event = env["mfg.integration.event"]
Delivery = env["mfg.integration.webhook.delivery"]
endpoints = env["mfg.integration.webhook.endpoint"].search([("name", "in", ["Bench A", "Bench B"])])
subject = endpoints.filtered(lambda endpoint: endpoint.name == "Bench A")

def emit():
    for batch in range({batches}):
        emitted_at = time.time()
        for index in range(10):
            Event._emit("mfg.integration.test.v1", subject,
                        {{"endpoint": subject.name, "message": "bench", "emitted_at": emitted_at}},
                        subject="bench/%s/%s" % (batch, index))
        env.cr.commit()

# latency: the endpoints are active, events are committed 10 at a time
emit()
deadline = time.time() + 600
waiting = [("endpoint_id", "in", endpoints.ids), ("state", "in", ["pending", "retrying"])]
while Delivery.search_count(waiting) and time.time() < deadline:
    env.cr.rollback()  # a fresh snapshot
    time.sleep(0.05)
# throughput: a backlog of the same size waits behind paused endpoints
endpoints.write({{"state": "paused"}})
env.cr.commit()
emit()
"""


def measure_outbound(server, args, receiver, events, conf):
    """Two runs: commit-to-receipt latency while events are committed 10 at a time
    (endpoints active); then throughput, draining a backlog of the same size."""
    server.login()
    Endpoint = "mfg.integration.webhook.endpoint"
    endpoints = server.call(Endpoint, "search", [("name", "in", ["Bench A", "Bench B"])])
    server.call(Endpoint, "write", endpoints, {"url": receiver.url})
    expected = events * len(endpoints)

    def bench_requests():
        return [r for r in list(receiver.requests) if b"emitted_at" in r["body"]]

    receiver.requests.clear()
    server.call(Endpoint, "action_activate", endpoints)
    # one shell for both runs: it returns once the latency run is delivered and
    # the backlog is committed
    odoo_shell(args.odoo_src, conf, args.db, EMIT_SCRIPT.format(batches=events // 10))
    received = bench_requests()
    latencies = [
        (request["received_at"] - json.loads(request["body"])["data"]["emitted_at"]) * 1000
        for request in received
    ]
    receiver.requests.clear()
    started = time.time()
    server.call(Endpoint, "action_activate", endpoints)
    deadline = time.monotonic() + 600
    while len(bench_requests()) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    drained = bench_requests()
    span = max(r["received_at"] for r in drained) - started
    return len(drained) / span, latencies, min(len(received), len(drained)), expected


MAX_BATCH = 1000  # the API's default largest batch (Settings)


def measure_batch(rest, rpc, count, sample):
    """Inventory counts: ``count`` of them in asynchronous requests (one per
    1,000 counts), against two execute_kw calls per count for a sample of
    ``sample`` counts. Every count sets the same quant, so JSON-RPC's rate does
    not change with the number of counts (10,000 would take JSON-RPC some 18
    minutes here to give the rate that a sample gives). Returns
    (route: counts/s, seconds; JSON-RPC: counts/s, seconds, counts)."""
    movements = [
        {
            "type": "count",
            "product": "HSG10",
            "quantity": 1000 + n,
            "unit": "PCE",
            "location": "A-01-01",
        }
        for n in range(count)
    ]
    started = time.perf_counter()
    # as a WMS sends them: requests of at most the largest batch the API takes
    ids = [
        int(
            rest.call("POST", "/inventory/movements", {"movements": movements[i : i + MAX_BATCH]})
            .headers["Location"]
            .rsplit("/", 1)[-1]
        )
        for i in range(0, count, MAX_BATCH)
    ]
    # waiting: one statement a poll (a status document lists every item: reading
    # one of 1,000 items every 0.2 s took a core from the job it waits for)
    Request = "mfg.integration.api.request"
    while rpc.execute(Request, "search_count", [("id", "in", ids), ("state", "in", WAITING)]):
        time.sleep(0.2)
    rest_seconds = time.perf_counter() - started
    for request_id in ids:  # what the WMS reads once its requests are applied
        status = rest.call("GET", f"/requests/{request_id}").json()
        assert status["status"] == "done" and status["done"] == status["items"], status
    housing = rpc.execute("product.product", "search", [("default_code", "=", "HSG-10")])[0]
    stock = rpc.execute("stock.location", "search", [("complete_name", "=", "WH/Stock")])[0]

    def count_once(n):
        # a count, as the route's: in inventory mode (else each call adds a quant)
        quant = rpc.execute(
            "stock.quant",
            "create",
            {"product_id": housing, "location_id": stock, "inventory_quantity": 1000 + n},
            context={"inventory_mode": True},
        )
        rpc.execute("stock.quant", "action_apply_inventory", [quant])

    sample = min(sample, count)
    started = time.perf_counter()
    run_parallel([(lambda n=n: count_once(n)) for n in range(sample)])
    rpc_seconds = time.perf_counter() - started
    return count / rest_seconds, rest_seconds, sample / rpc_seconds, rpc_seconds, sample


WAITING = ("queued", "processing")


# ----------------------------------------------------------------------
# broker (RabbitMQ): the outbox's broker sink and the command consumers
# ----------------------------------------------------------------------
CONSUMERS = 2  # command consumer processes: as many as the server's HTTP workers
WARM_UP = 20  # trivial commands a consumer applies before its idle memory is read


def prepare_broker(rpc, amqp_url, names):
    """A broker connection, a paused sink with one subscriber queue, and two
    command queues bound to MES-01's client (the backlog's paused), declared
    on the broker."""
    connection = rpc.execute(
        "mfg.integration.broker.connection",
        "create",
        {"name": names["events"], **broker.connection_values(amqp_url)},
    )
    client = rpc.execute(
        "ir.model.data", "check_object_reference", "mfg_integration_demo", "client_mes"
    )[1]
    Queue, Sink = "mfg.integration.broker.queue", "mfg.integration.broker.sink"
    # a consumer reads every active queue of the database: only this run's
    rpc.execute(
        Queue,
        "write",
        rpc.execute(Queue, "search", [("state", "=", "active")]),
        {"state": "paused"},
    )
    ids = {
        key: rpc.execute(
            Queue,
            "create",
            {
                "name": names[key],
                "connection_id": connection,
                "client_id": client,
                "dead_letter_exchange": names["commands_dead_letter"],
                "state": state,
            },
        )
        for key, state in (("commands", "active"), ("backlog", "paused"))
    }
    rpc.execute(Queue, "action_declare", list(ids.values()))
    ids["sink"] = rpc.execute(
        Sink,
        "create",
        {
            "name": f"Bench {names['events']}",
            "connection_id": connection,
            "exchange": names["events"],
            "event_types": broker.EVENT_TYPE,
            "state": "paused",
            "binding_ids": [(0, 0, {"queue": names["subscriber"], "binding_key": "#"})],
        },
    )
    rpc.execute(Sink, "action_declare_topology", [ids["sink"]])
    return ids


def start_consumers_and_release(args, conf, rest, orders, logs, consumers):
    """Set-up of the inbound measure: CONSUMERS consumers start (added to
    `consumers` as they do) while the orders are released through the REST route."""
    with ThreadPoolExecutor(CONSUMERS) as pool:
        starting = [
            pool.submit(start_consumer, args.odoo_src, conf, args.db, logs / f"consumer-{n}.log")
            for n in range(CONSUMERS)
        ]
        try:
            run_parallel(
                [
                    lambda o=o: rest.call(
                        "POST",
                        "/production-orders",
                        {"id": o, "product": "BENCH-1", "quantity": 2, "unit": "EA"},
                    )
                    for o in orders
                ]
            )
        finally:
            failures = []
            for future in starting:
                try:
                    consumers.append(future.result())
                except Exception as error:
                    failures.append(error)
    if failures:
        raise failures[0]


def measure_broker_outbound(rpc, args, ids, subscriber, events, set_up, logs):
    """The broker sink, as measure_outbound measures the webhooks: latency from
    each commit of 10 events to their receipt by a subscriber while events are
    committed (sink active); then throughput, draining a backlog of the same
    size. `set_up()` runs while the emitting shell starts, before it emits.
    Returns (events/s, latencies in ms, events confirmed in Odoo and received
    in each run, at least; deliveries that waited without a drain job)."""
    Sink, Delivery = "mfg.integration.broker.sink", "mfg.integration.broker.delivery"
    flag = Path(logs) / f"emit-{ids['sink']}"
    script = broker.EMIT_SCRIPT.format(
        sink=ids["sink"],
        batches=events // 10,
        data=json.dumps(broker.EVENT_DATA),
        event_type=broker.EVENT_TYPE,
        flag=str(flag),
    )
    rpc.execute(Sink, "action_activate", [ids["sink"]])
    with ThreadPoolExecutor(1) as pool:
        shell = pool.submit(odoo_shell, args.odoo_src, args.conf2, args.db, script)
        go = "stop"
        try:
            set_up()
            go = "go"
        finally:
            flag.write_text(go)  # the shell emits now, or ends
        output = shell.result().splitlines()
    line = next(line for line in output if line.startswith("COMMITTED "))
    committed = json.loads(line[len("COMMITTED ") :])
    stranded = int(next(line for line in output if line.startswith("STRANDED ")).split()[1])
    if stranded:
        progress(
            f"broker sink: {stranded} deliveries of the latency run waited with no drain job "
            "to send them, until the watchdog was called"
        )
    received = subscriber.wait("bench/latency/", events, 120)
    if not received:
        raise RuntimeError("no event of the broker sink's latency run reached the subscriber")
    latencies = [
        (arrived - committed[subject.rsplit("/", 1)[0].removeprefix("bench/")]) * 1000
        for arrived, subject in received.values()
    ]
    started = time.time()
    rpc.execute(Sink, "action_activate", [ids["sink"]])
    drained = subscriber.wait("bench/drain/", events, 600)
    if not drained:
        raise RuntimeError("no event of the broker sink's backlog reached the subscriber")
    rate = len(drained) / (max(arrived for arrived, _subject in drained.values()) - started)

    def confirmed(run):
        # Odoo records a confirm after the subscriber may have read the message
        domain = [
            ("sink_id", "=", ids["sink"]),
            ("state", "=", "delivered"),
            ("subject", "=like", f"bench/{run}/%"),
        ]
        deadline = time.monotonic() + 60
        while True:
            count = rpc.execute(Delivery, "search_count", domain)
            if count >= events or time.monotonic() > deadline:
                return count
            time.sleep(0.1)

    got = min(len(received), len(drained), confirmed("latency"), confirmed("drain"))
    return rate, latencies, got, stranded


def measure_broker_inbound(rest, rpc, amqp_url, queue, run, orders, count):
    """A final production confirmation of `count` released orders through the
    command queue (the running consumers apply them), against `count` through
    the REST route with THREADS clients (the server's two HTTP workers). Each
    side first confirms one order per process (their first requests fill
    caches). Returns (REST req/s, REST latencies in ms, broker msg/s)."""
    rest_warm, broker_warm = orders[:CONSUMERS], orders[CONSUMERS : 2 * CONSUMERS]
    rest_ids = orders[2 * CONSUMERS : 2 * CONSUMERS + count]
    broker_ids = orders[2 * CONSUMERS + count :]

    def confirm(order_id):
        body = {"produced_quantity": 2, "final": True}
        rest.call("POST", f"/production-orders/{order_id}/confirmations", body)

    run_parallel([(lambda o=o: confirm(o)) for o in rest_warm])
    broker.confirm_production_orders(amqp_url, queue, broker_warm)
    rest_rate, rest_lat = run_parallel([(lambda o=o: confirm(o)) for o in rest_ids])
    broker_rate = broker.confirm_production_orders(amqp_url, queue, broker_ids)
    done = rpc.execute(
        "mrp.production",
        "search_count",
        [("origin", "like", f"MES-01:{run}-"), ("state", "=", "done")],
    )
    assert done == len(orders), f"{done} of {len(orders)} orders done"
    return rest_rate, rest_lat, broker_rate


def stuck_consumer(server, amqp_url, names, consumer):
    """What a consumer that stopped applying its commands is doing: the
    queue's ready messages, the database's busy sessions, the consumer's
    threads (its SIGQUIT dump) and the end of its log."""
    consumer.send_signal(signal.SIGQUIT)
    wait_for(lambda: "# Thread" in Path(consumer.log_path).read_text(), 10)
    sessions = server.sql(
        "SELECT pid, state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"
    )
    ready = broker.ready_messages(amqp_url, names["commands"])
    log = Path(consumer.log_path).read_text()[-6000:]
    return f"ready in the queue: {ready}\nbusy sessions:\n{sessions}\nconsumer log:\n{log}"


def measure_consumer_memory(server, rpc, amqp_url, names, ids, consumer, backlog, window):
    """A consumer's resident memory: idle (after WARM_UP trivial commands),
    then while a backlog of trivial commands (bench.echo), all in its queue
    before the queue is consumed, waits for it: sampled every 50 ms for
    `window` seconds, or until the backlog is read. Returns (idle MB, peak MB,
    commands read, commands still waiting, commands per second)."""
    run = f"M{int(time.time())}"

    def applied(queue):
        return int(
            server.sql(
                f"SELECT count(*) FROM mfg_integration_message_log WHERE route = 'AMQP {queue}'"
            )
        )

    # the backlog goes to its queue (paused in Odoo) while the consumer warms up
    with ThreadPoolExecutor(1) as publisher:
        published = publisher.submit(
            broker.publish_commands, amqp_url, names["backlog"], backlog, run
        )
        before = applied(names["commands"])
        broker.publish_commands(amqp_url, names["commands"], WARM_UP, f"{run}-warm")
        deadline = time.monotonic() + 120
        while applied(names["commands"]) < before + WARM_UP:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{applied(names['commands']) - before} of the {WARM_UP} warm-up commands "
                    "were applied in 120 s\n" + stuck_consumer(server, amqp_url, names, consumer)
                )
            time.sleep(0.1)
        published.result()
    deadline = time.monotonic() + 60
    while broker.ready_messages(amqp_url, names["backlog"]) < backlog:
        assert time.monotonic() < deadline, "the backlog did not reach its queue"
        time.sleep(0.1)
    time.sleep(0.5)
    idle = statistics.median(broker.process_memory_mb(consumer.pid) for _n in range(5))
    rpc.execute("mfg.integration.broker.queue", "write", [ids["backlog"]], {"state": "active"})
    started = checked = time.monotonic()
    peak = idle
    while time.monotonic() - started < window:
        peak = max(peak, broker.process_memory_mb(consumer.pid))
        if time.monotonic() - checked > 1:
            checked = time.monotonic()
            if applied(names["backlog"]) >= backlog:
                break
        time.sleep(0.05)
    read = applied(names["backlog"])
    # a consumer that is fed without a pause reads on through a SIGTERM: the
    # purge (of the messages not yet delivered to it) lets it stop
    waiting = broker.ready_messages(amqp_url, names["backlog"], purge=True)
    # from the first command's transaction to the last one's
    count, span = server.sql(
        "SELECT count(*), extract(epoch FROM max(create_date) - min(create_date)) "
        f"FROM mfg_integration_message_log WHERE route = 'AMQP {names['backlog']}'"
    ).split("|")
    rate = (int(count) - 1) / float(span) if span and float(span) else 0.0
    return idle, peak, read, waiting, rate


def measure_broker(args, server, mes_key, sizes, logs):
    """The broker's rows: its sink against a plain pika loop, production
    confirmations through a command queue against the REST route, and a
    consumer's memory while a backlog waits. The exchanges and queues are this
    run's own (a random prefix), deleted at the end."""
    rpc = JsonRpc(server.url, args.db)
    rest = Rest(server.url, mes_key)
    names = broker.topology(f"mfgbench-{secrets.token_hex(4)}")
    events, count = sizes["events"], sizes["broker_inbound"]
    backlog, window = sizes["backlog"], sizes["window"]
    run = f"Q{int(time.time())}"
    orders = [f"{run}-{n}" for n in range(2 * (CONSUMERS + count))]
    consumer_conf = broker.consumer_config(args.conf2, logs)
    subscriber, consumers, ids = None, [], {}
    try:
        ids = prepare_broker(rpc, args.amqp_url, names)
        subscriber = broker.SubscriberProcess(args.amqp_url, names["subscriber"], logs)
        progress(f"broker: outbound, the sink ({CONSUMERS} consumers start meanwhile)")
        rate, latencies, got, stranded = measure_broker_outbound(
            rpc,
            args,
            ids,
            subscriber,
            events,
            lambda: start_consumers_and_release(args, consumer_conf, rest, orders, logs, consumers),
            logs,
        )
        progress("broker: outbound, plain pika loop")
        loop_rate, loop_lat = broker.plain_pika_loop(args.amqp_url, subscriber, events)
        progress(f"broker: inbound, {CONSUMERS} consumers and the REST route")
        rest_rate, rest_lat, broker_rate = measure_broker_inbound(
            rest, rpc, args.amqp_url, names["commands"], run, orders, count
        )
        progress(f"broker: a consumer's memory, backlog of {backlog}")
        for consumer in consumers[1:]:
            stop_consumer(consumer)
        idle, peak, read, waiting, backlog_rate = measure_consumer_memory(
            server, rpc, args.amqp_url, names, ids, consumers[0], backlog, window
        )
    finally:
        for consumer in consumers:
            stop_consumer(consumer)
        if subscriber is not None:
            subscriber.stop()
        try:
            if ids:  # in Odoo too, no queue or sink of this run outlives its topology
                rpc.execute(
                    "mfg.integration.broker.queue",
                    "write",
                    [ids["commands"], ids["backlog"]],
                    {"state": "paused"},
                )
                rpc.execute("mfg.integration.broker.sink", "action_pause", [ids["sink"]])
            failed = broker.delete_topology(args.amqp_url, names)
        except Exception as error:  # the measures' own error, if any, matters more
            failed = [repr(error)]
        if failed:
            progress(f"the broker topology of this run is not all deleted: {failed}")
    return [
        (f"Broker sink: {events} events to RabbitMQ with publisher confirms", "", "", ""),
        (
            "  plain pika loop, a confirm each: msg/s; confirm p50, p99 ms",
            f"{loop_rate:.0f}",
            f"{statistics.median(loop_lat):.1f}",
            f"{percentile(loop_lat, .99):.1f}",
        ),
        (
            "  Odoo sink: events/s; commit to a subscriber's receipt p50, p99 ms",
            f"{rate:.0f}",
            f"{statistics.median(latencies):.0f}",
            f"{percentile(latencies, .99):.0f}",
        ),
        (
            "  confirmed and received / expected; ratio to the loop, target >= 0.5",
            f"{got}/{events}",
            f"{rate / loop_rate:.2f}",
            verdict(rate / loop_rate >= 0.5),
        ),
        (
            "  left with no drain job, sent once the watchdog ran (deliveries)",
            f"{stranded}",
            "",
            "",
        ),
        (f"Broker commands: production confirmation, {count} each", "", "", ""),
        (
            f"  REST route, {THREADS} clients, 2 HTTP workers (req/s, p50, p99 ms)",
            f"{rest_rate:.1f}",
            f"{statistics.median(rest_lat):.0f}",
            f"{percentile(rest_lat, .99):.0f}",
        ),
        (
            f"  command queue, {CONSUMERS} consumer processes, prefetch 20 (msg/s)",
            f"{broker_rate:.1f}",
            "",
            "",
        ),
        (
            "  ratio command queue / REST, target >= 1.0",
            f"{broker_rate / rest_rate:.2f}",
            verdict(broker_rate / rest_rate >= 1.0),
            "",
        ),
        (f"Broker consumer: a backlog of {backlog} trivial commands waits", "", "", ""),
        (f"  idle, after {WARM_UP} commands (RSS MB)", f"{idle:.0f}", "", ""),
        (f"  peak while it reads {read} of them in {window} s (RSS MB)", f"{peak:.0f}", "", ""),
        (
            "  peak / idle; commands/s; still waiting at the end",
            f"{peak / idle:.2f}",
            f"{backlog_rate:.0f}",
            f"{waiting}",
        ),
    ]


# ----------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo-src", required=True)
    parser.add_argument("--conf1", required=True, help="server config with one job slot")
    parser.add_argument("--conf2", required=True, help="server config with two job slots")
    parser.add_argument("--db", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--batch", type=int, help="inventory counts of the batch measure")
    parser.add_argument(
        "--amqp-url",
        default=os.environ.get("MFG_AMQP_URL"),
        help="the RabbitMQ broker of the broker measures (default: $MFG_AMQP_URL)",
    )
    args = parser.parse_args(argv)
    if not args.amqp_url:
        parser.error("the broker measures need --amqp-url or MFG_AMQP_URL")
    sizes = (
        {"inbound": 6, "overhead": 200, "mapping": 1000, "emits": 200, "events": 100, "batch": 30,
         "batch_rpc": 30, "simulator": 5, "simulator_warm_up": 2,
         "broker_inbound": 6, "backlog": 500, "window": 5, "health": 20000,
         "log_rows": 20_000, "scrapes": 20, "obs_overhead": 200, "obs_rounds": 1,
         "webhook_peers": 3}
        if args.quick
        else {"inbound": 200, "overhead": 2000, "mapping": 20000, "emits": 2000, "events": 1500,
              "batch": 10000, "batch_rpc": 500, "simulator": 40, "simulator_warm_up": 10,
              "broker_inbound": 50, "backlog": 10000, "window": 30, "health": 1_000_000,
              "log_rows": 1_000_000, "scrapes": 50, "obs_overhead": 2000, "obs_rounds": 2,
              "webhook_peers": 20}
    )  # fmt: skip
    if args.batch:
        sizes["batch"] = args.batch
    sizes["sync"] = sync.SIZES[args.quick]
    rows = []
    logs = Path(tempfile.mkdtemp())
    receiver = Receiver()
    process, server = start_server(args.odoo_src, args.conf1, args.db, logs / "odoo-1.log")
    try:
        credentials = issue_credentials(server.url, args.db, "http://127.0.0.1:9")
        rpc = JsonRpc(server.url, args.db)
        products = prepare(server, rpc)
        fastapi_key = peers.prepare_fastapi(rpc)
        mes = Rest(server.url, credentials["keys"]["MES-01"])
        wms = Rest(server.url, credentials["keys"]["WMS-01"])

        # where JSON-RPC needs one call the route must only keep up; several: be faster
        for title, external_id, lot_tracked, rpc_label, target in (
            ("Inbound: production confirmation, 4 clients", "BENCH-1", False, "1 call", 1.0),
            ("Inbound: the same with a finished lot", "BENCH-LOT-1", True, "3 calls", 1.5),
        ):
            progress(title)
            reset_peak_memory(process)
            rest_rate, rest_lat, rpc_rate, rpc_lat = measure_inbound(
                mes, rpc, products[external_id], external_id, sizes["inbound"], lot_tracked
            )
            memory_during(f"{title}: REST route and JSON-RPC", process)
            rows.append((title, "", "", ""))
            rows.append(
                (
                    "  REST route (req/s, p50 ms, p99 ms)",
                    f"{rest_rate:.1f}",
                    f"{statistics.median(rest_lat):.0f}",
                    f"{percentile(rest_lat, .99):.0f}",
                )
            )
            rows.append(
                (
                    f"  JSON-RPC execute_kw, known ids, {rpc_label}",
                    f"{rpc_rate:.1f}",
                    f"{statistics.median(rpc_lat):.0f}",
                    f"{percentile(rpc_lat, .99):.0f}",
                )
            )
            rows.append(
                (
                    f"  ratio REST / JSON-RPC, target >= {target}",
                    f"{rest_rate / rpc_rate:.2f}",
                    verdict(rest_rate / rpc_rate >= target),
                    "",
                )
            )
            tail = percentile(rest_lat, 0.99) / statistics.median(rest_lat)
            rows.append(
                (
                    "  tail: p99 / p50 of the route, target <= 3",
                    f"{tail:.2f}",
                    verdict(tail <= 3),
                    "",
                )
            )
            progress(f"{title}: OCA FastAPI")
            reset_peak_memory(process)
            rows.extend(
                peers.measure_fastapi_confirmations(
                    server.url,
                    fastapi_key,
                    rpc,
                    products[external_id],
                    sizes["inbound"],
                    lot_tracked,
                    rest_rate,
                    HELPERS,
                )
            )
            memory_during(f"{title}: OCA FastAPI", process)

        progress("framework overhead")
        reset_peak_memory(process)
        fw_rate, fw_lat, bare, durable = measure_overhead(server.url, mes, sizes["overhead"])
        rows.append(("Framework overhead: trivial action, 4 clients", "", "", ""))
        rows.append(
            (
                "  our route: key, scope, rate limit, schema, idempotency, log",
                f"{fw_rate:.1f}",
                f"{statistics.median(fw_lat):.1f}",
                f"{percentile(fw_lat, .99):.1f}",
            )
        )
        for label, (rate, latencies) in (
            ("  bare Odoo controller, same JSON, writes nothing", bare),
            ("  durable bare controller: inserts one row, commits", durable),
        ):
            rows.append(
                (
                    label,
                    f"{rate:.1f}",
                    f"{statistics.median(latencies):.1f}",
                    f"{percentile(latencies, .99):.1f}",
                )
            )
        over_durable = statistics.median(fw_lat) / statistics.median(durable[1]) - 1
        over_bare = statistics.median(fw_lat) / statistics.median(bare[1]) - 1
        rows.append(
            (
                "  overhead over the durable controller at p50, target <= 20%",
                f"{over_durable:.0%}",
                verdict(over_durable <= 0.2),
                "",
            )
        )
        rows.append(("  overhead over the bare controller at p50", f"{over_bare:.0%}", "", ""))
        memory_during("Framework overhead: our route and the bare controller", process)
        progress("framework overhead: OCA FastAPI")
        reset_peak_memory(process)
        rows.extend(
            peers.measure_fastapi_trivial(
                server.url, fastapi_key, sizes["overhead"], fw_rate, HELPERS
            )
        )
        memory_during("Trivial action: OCA FastAPI", process)

        progress(f"batch of {sizes['batch']} inventory counts")
        reset_peak_memory(process)
        rest_rate, rest_seconds, rpc_rate, rpc_seconds, sampled = measure_batch(
            wms, rpc, sizes["batch"], sizes["batch_rpc"]
        )
        rows.append(("Batch: inventory counts applied per second (s: seconds taken)", "", "", ""))
        rows.append(
            (
                f"  asynchronous requests (queue_job), all {sizes['batch']} counts",
                f"{rest_rate:.1f}",
                f"{rest_seconds:.0f} s",
                "",
            )
        )
        rows.append(
            (
                f"  JSON-RPC, 2 calls a count, 4 clients, a sample of {sampled}",
                f"{rpc_rate:.1f}",
                f"{rpc_seconds:.0f} s",
                "",
            )
        )
        rows.append(("  speed-up (ratio of the rates)", f"{rest_rate / rpc_rate:.2f}", "", ""))
        memory_during(f"Batch: {sizes['batch']} inventory counts", process)
        rows.extend(
            masterdata.measure(
                process,
                Rest(server.url, credentials["keys"]["PLM-01"]),
                rpc,
                masterdata.SIZES["quick" if args.quick else "full"],
                HELPERS,
            )
        )
        # the same server (one job slot) serves the first outbound run
        progress("outbound: Odoo with 1 job slot(s)")
        reset_peak_memory(process)
        outbound = {1: measure_outbound(server, args, receiver, sizes["events"], args.conf1)}
        memory_during("Outbound: Odoo, 1 job slot", process)
        progress("Odoo's webhook and our outbox: a receiver down, then slow")
        reset_peak_memory(process)
        rows.extend(
            peers.measure_webhook_peers(
                server, rpc, products["BENCH-1"], sizes["webhook_peers"], HELPERS
            )
        )
        memory_during("Odoo's webhook and our outbox", process)
    finally:
        stop_server(process)

    progress("mapping resolutions")
    mapping = measure_mapping(args, sizes["mapping"])
    ratio = mapping["cached"] / mapping["uncached"]
    rows.append(("Mapping: resolutions per second", "", "", ""))
    rows.append(("  cached", f"{mapping['cached']:.0f}", "", ""))
    rows.append(("  uncached (cache cleared each time)", f"{mapping['uncached']:.0f}", "", ""))
    rows.append(("  ratio, target >= 20", f"{ratio:.1f}", verdict(ratio >= 20), ""))

    progress("event payloads checked against their schema")
    emit = measure_emit(args, sizes["emits"])
    rows.append((f"Emit: microseconds per {emit['type']} event", "", "", ""))
    rows.append(("  payload checked against its JSON Schema", f"{emit['checked']:.0f}", "", ""))
    rows.append(("  the same emit, no schema to check", f"{emit['unchecked']:.0f}", "", ""))
    rows.append(
        (
            "  cost of the check (share of an emit)",
            f"{emit['checked'] - emit['unchecked']:.0f}",
            f"{emit['checked'] / emit['unchecked'] - 1:.0%}",
            "",
        )
    )

    progress("integration health dashboard")
    result = health.measure_health(args.odoo_src, args.conf1, args.db, sizes["health"])
    rows.extend(health.health_rows(result, sizes["health"]))

    rows.extend(sync.measure(args.odoo_src, args.conf1, args.db, sizes["sync"], logs, HELPERS))

    progress("outbound: Odoo with 2 job slot(s)")
    # its workers count in one metrics directory, so that /metrics sums them
    # (the mapping cache's counters, read under the simulator's traffic)
    metrics_dir = tempfile.mkdtemp(prefix="mfg-bench-metrics-")
    process, server = start_server(
        args.odoo_src,
        args.conf2,
        args.db,
        logs / "odoo-out-2.log",
        env={"PROMETHEUS_MULTIPROC_DIR": metrics_dir},
    )
    try:
        reset_peak_memory(process)
        outbound[2] = measure_outbound(server, args, receiver, sizes["events"], args.conf2)
        memory_during("Outbound: Odoo, 2 job slots", process)
        # the same server (two HTTP workers, two job slots) serves the broker measures
        reset_peak_memory(process)
        broker_rows = measure_broker(args, server, credentials["keys"]["MES-01"], sizes, logs)
        memory_during("Broker sink and commands (the consumers' own rows below)", process)
        progress(f"mapping cache under the plant simulator, {sizes['simulator']} s")
        hits, misses, answered = measure_mapping_ratio(
            server, credentials, sizes["simulator"], sizes["simulator_warm_up"], logs
        )
    finally:
        stop_server(process)
    hit_ratio = hits / max(hits + misses, 1)
    rows.append(
        (
            f"Mapping cache under the plant simulator: {answered} requests in "
            f"{sizes['simulator']} s, after {sizes['simulator_warm_up']} s of it",
            "",
            "",
            "",
        )
    )
    rows.append(("  look-ups of the cache: hits; misses", f"{hits:.0f}", f"{misses:.0f}", ""))
    rows.append(
        (
            "  hit ratio, target >= 99%",
            f"{hit_ratio:.1%}",
            verdict(hit_ratio >= 0.99),
            "",
        )
    )

    secret = "whsec_" + "QmVuY2htYXJrU2VjcmV0QmVuY2htYXJrU2VjcmV0MTI="
    progress("outbound: plain loop")
    baseline = plain_loop(receiver.url, sizes["events"] * 2, secret)
    rows.append((f"Outbound: {sizes['events']} events to 2 endpoints", "", "", ""))
    rows.append(("  plain Python loop (deliveries/s)", f"{baseline:.0f}", "", ""))
    for slots, (rate, lat, got, expected) in outbound.items():
        rows.append(
            (
                f"  Odoo, {slots} job slot(s): deliveries/s; latency p50, p99 ms",
                f"{rate:.0f}",
                f"{statistics.median(lat):.0f}",
                f"{percentile(lat, .99):.0f}",
            )
        )
        rows.append(
            (
                "  delivered / expected; ratio to the loop, target >= 0.5",
                f"{got}/{expected}",
                f"{rate / baseline:.2f}",
                verdict(rate / baseline >= 0.5),
            )
        )
    receiver.stop()
    rows.extend(broker_rows)
    rows.append(("Memory: peak memory of an Odoo worker during each measure (RSS MB)", "", "", ""))
    rows.extend((f"  {measure}", f"{peak}", "", "") for measure, peak in MEMORY)
    # last: it inserts a million message-log rows
    rows.extend(
        observability.measure(
            args,
            sizes,
            logs,
            {
                "run_parallel": run_parallel,
                "thread_session": thread_session,
                "post_echo": post_echo,
                "percentile": percentile,
                "verdict": verdict,
                "issue_credentials": issue_credentials,
                "progress": progress,
            },
        )
    )
    progress("done")
    # from the start of bench/run (which builds the database first), else of this script
    started = float(os.environ.get("MFG_BENCH_STARTED") or 0) or time.time() - (
        time.monotonic() - STARTED
    )
    wall = time.time() - started
    limit = 60 if args.quick else 15 * 60
    rows.append(("Run: wall time of the whole benchmark", "", "", ""))
    rows.append(
        (
            f"  minutes:seconds, target <= {limit // 60} min",
            f"{int(wall // 60)}:{int(wall % 60):02d}",
            verdict(wall <= limit),
            "",
        )
    )
    width = max(len(row[0]) for row in rows)
    print(f"\n{'measure'.ljust(width)}  {'value':>10} {'p50':>8} {'p99':>8}")
    for name, *values in rows:
        print(f"{name.ljust(width)}  {values[0]:>10} {values[1]:>8} {values[2]:>8}")
    return 0


def verdict(met):
    return "met" if met else "MISSED"


# what the measures of other modules borrow from this one
HELPERS = {
    "run_parallel": run_parallel,
    "thread_session": thread_session,
    "percentile": percentile,
    "verdict": verdict,
    "progress": progress,
    "reset_peak_memory": reset_peak_memory,
    "peak_memory_mb": peak_memory_mb,
}


if __name__ == "__main__":
    sys.exit(main())
