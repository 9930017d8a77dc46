"""The peers an integrator would weigh against the suite, in the same run, on
the same database and server:

- OCA's REST stack: `fastapi` with `fastapi_auth_api_key`
  (`bench/addons/mfg_integration_bench_fastapi`, its packages from
  `bench/requirements.txt`): the trivial authenticated action of `bench/echo`
  and the production confirmation, 4 clients;
- Odoo's own webhook: a `base_automation` rule on the order's state (done) with
  a server action of type webhook, against the suite's outbox (a webhook
  endpoint subscribed to `mrp.production.done.v1`), the same local receiver
  being down, then slow.

Odoo's webhook action (`ir.actions.server._run_action_webhook`) POSTs in the
user's transaction, while the record is written and before it commits, with a
1 s timeout; a refused connection, an error status or a timeout is logged and
the event is not sent again.
"""

import json
import secrets
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from harness import free_port  # noqa: E402

FASTAPI = "/fastapi-bench"
FASTAPI_KEY_HEADER = "HTTP-API-KEY"  # fastapi_auth_api_key's default
DONE_EVENT = "mrp.production.done.v1"
SLOW_SECONDS = 1.0  # how long the slow receiver takes to answer
# the peer endpoint's retries: the same mechanism as the product's defaults
# ("5,300,1800,..."; circuit cooldown 60 s), on a shorter schedule so that the
# benchmark waits seconds, not hours, for the receiver's return to be noticed
PEER_RETRY_SCHEDULE = "1,2,5,10,20,30,60"
PEER_COOLDOWN_SECONDS = 5
# how long Odoo's webhook is given to send again what the receiver missed
GRACE_SECONDS = 3


# ----------------------------------------------------------------------
# OCA FastAPI
# ----------------------------------------------------------------------
def prepare_fastapi(rpc):
    """An auth_api_key key of the JSON-RPC client's user (the administrator)."""
    key = secrets.token_urlsafe(32)
    rpc.execute(
        "auth.api.key",
        "create",
        {"name": f"bench-{secrets.token_hex(4)}", "key": key, "user_id": rpc.uid},
    )
    return key


class FastApi:
    """A client of the FastAPI peer, as the suite's clients are: a kept-alive
    session per thread; a 5xx (Odoo answers a conflict it could not retry away
    with 500) is tried again after a second, like the JSON-RPC client."""

    def __init__(self, url, key, thread_session):
        self.url, self.key, self.thread_session = url + FASTAPI, key, thread_session

    def post(self, path, body, retry=True):
        for _attempt in range(6):
            response = self.thread_session("fastapi").post(
                self.url + path,
                json=body,
                timeout=120,
                headers={FASTAPI_KEY_HEADER: self.key},
            )
            if not retry or response.status_code < 500:
                break
            time.sleep(1)
        if response.status_code >= 400:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
        return response


def measure_fastapi_trivial(url, key, count, our_rate, helpers):
    """The trivial action through the FastAPI peer, 4 clients (after 20 to warm):
    its rows, for the framework overhead section, with our route's throughput
    measured just before against it."""
    run_parallel, percentile = helpers["run_parallel"], helpers["percentile"]
    client = FastApi(url, key, helpers["thread_session"])

    def echo(n):
        response = client.post("/echo", {"n": n}, retry=False)  # a refusal fails the measure
        assert response.json() == {"ok": True, "echo": {"n": n}}, response.text

    for n in range(20):
        echo(n)
    rate, latencies = run_parallel([(lambda n=n: echo(n)) for n in range(count)])
    return [
        (
            "  OCA FastAPI + fastapi_auth_api_key, same JSON",
            f"{rate:.1f}",
            f"{statistics.median(latencies):.1f}",
            f"{percentile(latencies, 0.99):.1f}",
        ),
        (
            "  our route / FastAPI throughput, target >= 1.2",
            f"{our_rate / rate:.2f}",
            helpers["verdict"](our_rate >= 1.2 * rate),
            "",
        ),
    ]


def release_orders(rpc, product, count):
    """``count`` confirmed orders of ``product`` (2 units each), made through
    JSON-RPC by one client, 50 an execute_kw call: set-up, not measured (from
    4 clients, their reservations of the same components failed each other
    and waited out Odoo's back-off)."""
    ids = []
    for start in range(0, count, 50):
        created = rpc.execute(
            "mrp.production",
            "create",
            [{"product_id": product, "product_qty": 2}] * min(50, count - start),
        )
        rpc.execute("mrp.production", "action_confirm", created)
        ids.extend(created)
    return ids


def measure_fastapi_confirmations(url, key, rpc, product, count, lot_tracked, rest_rate, helpers):
    """Final production confirmations through the FastAPI peer, 4 clients, on
    orders released for it: one request each (the finished lot in its body);
    its rows, for the inbound section whose REST route figures it follows."""
    run_parallel, percentile = helpers["run_parallel"], helpers["percentile"]
    client = FastApi(url, key, helpers["thread_session"])
    run = f"F{int(time.time())}"
    orders = release_orders(rpc, product, count)

    def confirm(production):
        body = {"produced_quantity": 2, "final": True}
        if lot_tracked:
            body["lot"] = f"FAPI-{run}-{production}"
        client.post(f"/production-orders/{production}/confirmations", body)

    rate, latencies = run_parallel([(lambda p=p: confirm(p)) for p in orders])
    done_domain = [("id", "in", orders), ("state", "=", "done")]
    if lot_tracked:
        done_domain.append(("lot_producing_id", "!=", False))
    done = rpc.execute("mrp.production", "search_count", done_domain)
    assert done == count, f"FastAPI: {done} of {count} orders done"
    return [
        (
            "  OCA FastAPI + fastapi_auth_api_key, known ids, 1 request",
            f"{rate:.1f}",
            f"{statistics.median(latencies):.0f}",
            f"{percentile(latencies, 0.99):.0f}",
        ),
        ("  ratio REST / FastAPI", f"{rest_rate / rate:.2f}", "", ""),
    ]


# ----------------------------------------------------------------------
# Odoo's own webhook against the outbox
# ----------------------------------------------------------------------
class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that gave up waiting (Odoo's webhook, after its 1 s) is
        no error of the receiver's."""


class PeerReceiver:
    """A local receiver on a port of its own that can be down (nothing listens
    there: connections are refused), up, or slow (answers after ``delay``
    seconds). It records every request's JSON as it arrives."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.delay = 0.0
        self.bodies = []
        self.server = None

    def up(self, delay=0.0):
        self.delay = delay
        if self.server is not None:
            return
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.bodies.append(json.loads(body or b"null"))
                time.sleep(receiver.delay)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                return

        self.server = QuietServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def odoo_webhook_ids(self):
        """The orders that Odoo's webhook told about (its payload: _model, _id)."""
        return {
            body["_id"]
            for body in list(self.bodies)
            if isinstance(body, dict) and body.get("_model") == "mrp.production"
        }

    def outbox_subjects(self):
        """The orders that the outbox told about (CloudEvents: type, subject)."""
        return {
            body["subject"]
            for body in list(self.bodies)
            if isinstance(body, dict) and body.get("type") == DONE_EVENT
        }


def create_odoo_webhook(rpc, url):
    """The automation an Odoo user would click together: when an order's state
    is set to done, send a webhook with its name and state."""
    model = rpc.execute("ir.model", "search", [("model", "=", "mrp.production")])[0]
    fields = {
        field["name"]: field["id"]
        for field in rpc.execute(
            "ir.model.fields",
            "search_read",
            [("model", "=", "mrp.production"), ("name", "in", ["name", "state"])],
            fields=["name"],
        )
    }
    done = rpc.execute(
        "ir.model.fields.selection",
        "search",
        [("field_id", "=", fields["state"]), ("value", "=", "done")],
    )[0]
    automation = rpc.execute(
        "base.automation",
        "create",
        {
            "name": "Bench: production order done",
            "model_id": model,
            "trigger": "on_state_set",
            "trigger_field_ids": [(6, 0, [fields["state"]])],
            "trg_selection_field_id": done,
            "filter_domain": "[('state', '=', 'done')]",
            "action_server_ids": [
                (
                    0,
                    0,
                    {
                        "name": "Bench: webhook of the order",
                        "model_id": model,
                        "usage": "base_automation",
                        "state": "webhook",
                        "webhook_url": url,
                        "webhook_field_ids": [(6, 0, [fields["name"], fields["state"]])],
                    },
                )
            ],
        },
    )
    values = rpc.execute(
        "base.automation", "read", [automation], ["trigger", "filter_domain", "active"]
    )[0]
    assert values["trigger"] == "on_state_set" and "done" in values["filter_domain"], values
    return automation


def create_outbox_endpoint(server, rpc, url):
    """The outbox's side: a webhook endpoint subscribed to the done event."""
    Endpoint = "mfg.integration.webhook.endpoint"
    endpoint = rpc.execute(
        Endpoint,
        "create",
        {
            "name": "Bench: the peer receiver",
            "url": url,
            "allow_insecure": True,
            "event_types": DONE_EVENT,
            "retry_schedule": PEER_RETRY_SCHEDULE,
            "cooldown_seconds": PEER_COOLDOWN_SECONDS,
            "state": "paused",
        },
    )
    server.login()
    server.call(Endpoint, "action_generate_secret", [endpoint])
    return endpoint


def warm_workers(rpc, run_parallel):
    """A registry change (an automation created or deleted) reloads each worker
    on its next request: make those requests before measuring."""
    run_parallel([lambda: rpc.execute("res.users", "search_count", [])] * 8)


def user_confirmations(rpc, orders):
    """A user marks each order done (Produce All), one after another; latencies (ms)."""
    latencies = []
    for production in orders:
        started = time.perf_counter()
        rpc.execute("mrp.production", "button_mark_done", [production])
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def wait_until(predicate, timeout):
    """Seconds it took for predicate() to hold, or None after ``timeout`` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def measure_webhook_peers(server, rpc, product, count, helpers):
    """Odoo's webhook against the outbox, ``count`` orders marked done by one
    user for each of: no subscriber (the baseline), a slow receiver, a receiver
    down while the orders are done (it comes back after the last one)."""
    run_parallel, percentile, verdict = (
        helpers["run_parallel"],
        helpers["percentile"],
        helpers["verdict"],
    )
    Endpoint = "mfg.integration.webhook.endpoint"
    receiver = PeerReceiver()
    orders = release_orders(rpc, product, 5 * count)
    batches = [orders[i * count : (i + 1) * count] for i in range(5)]
    names = {
        record["id"]: f"mrp.production/{record['name']}"
        for record in rpc.execute("mrp.production", "read", orders, ["name"])
    }
    automation = endpoint = None
    try:
        baseline = user_confirmations(rpc, batches[0])

        # Odoo's webhook: slow, then down
        automation = create_odoo_webhook(rpc, receiver.url)
        warm_workers(rpc, run_parallel)
        receiver.up(delay=SLOW_SECONDS)
        odoo_slow = user_confirmations(rpc, batches[1])
        receiver.down()
        user_confirmations(rpc, batches[2])
        receiver.up()
        time.sleep(GRACE_SECONDS)  # the outbox's first retry comes within 1 s
        odoo_after_down = len(receiver.odoo_webhook_ids() & set(batches[2]))
        odoo_slow_received = len(receiver.odoo_webhook_ids() & set(batches[1]))
        rpc.execute("base.automation", "unlink", [automation])
        automation = None
        warm_workers(rpc, run_parallel)

        # the outbox: slow, then down
        endpoint = create_outbox_endpoint(server, rpc, receiver.url)
        rpc.execute(Endpoint, "action_activate", [endpoint])
        receiver.up(delay=SLOW_SECONDS)
        outbox_slow = user_confirmations(rpc, batches[3])
        slow_subjects = {names[p] for p in batches[3]}
        wait_until(lambda: slow_subjects <= receiver.outbox_subjects(), count * SLOW_SECONDS + 120)
        outbox_slow_received = len(slow_subjects & receiver.outbox_subjects())
        receiver.down()
        user_confirmations(rpc, batches[4])
        receiver.up()
        down_subjects = {names[p] for p in batches[4]}
        back_after = wait_until(lambda: down_subjects <= receiver.outbox_subjects(), 300)
        outbox_after_down = len(down_subjects & receiver.outbox_subjects())
    finally:
        if automation:
            rpc.execute("base.automation", "unlink", [automation])
        if endpoint:
            rpc.execute(Endpoint, "action_pause", [endpoint])
        receiver.down()
    base_p50 = statistics.median(baseline)

    def latency_row(label, latencies):
        return (
            label,
            f"{statistics.median(latencies) - base_p50:+.0f}",
            f"{statistics.median(latencies):.0f}",
            f"{percentile(latencies, 0.99):.0f}",
        )

    return [
        (
            f"Odoo's webhook (base_automation) or our outbox: {count} orders done by 1 user",
            "",
            "",
            "",
        ),
        (
            "  no subscriber: the user's confirmation (ms p50, p99)",
            "",
            f"{base_p50:.0f}",
            f"{percentile(baseline, 0.99):.0f}",
        ),
        latency_row(
            f"  receiver answers after {SLOW_SECONDS:.0f} s: Odoo webhook, ms added; p50, p99",
            odoo_slow,
        ),
        latency_row(
            f"  receiver answers after {SLOW_SECONDS:.0f} s: our outbox, ms added; p50, p99",
            outbox_slow,
        ),
        (
            "  slow receiver, events it got: Odoo webhook; our outbox",
            "",
            f"{odoo_slow_received}/{count}",
            f"{outbox_slow_received}/{count}",
        ),
        (
            "  receiver down meanwhile: Odoo webhook, events got once it is back",
            f"{odoo_after_down}/{count}",
            "",
            "",
        ),
        (
            "  receiver down meanwhile: our outbox, events got; s to the last",
            f"{outbox_after_down}/{count}",
            f"{back_after:.1f}" if back_after is not None else "-",
            verdict(outbox_after_down == count),
        ),
    ]
