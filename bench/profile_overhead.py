"""Where the time of a trivial command goes: the framework-overhead measure of
``bench/run`` (the route ``POST /api/mfg/v1/bench/echo`` against the bare
controller ``/bench/bare/echo``), taken apart by stage.

    .venv/bin/python bench/profile_overhead.py -c CONF -d DB [--count 500] [--cprofile]

DB is a database that ``bench/run`` prepared (the demo plant and the benchmark
addon installed: ``MFG_BENCH_DB``, ``mfg_bench`` by default); CONF a server
configuration for it (``.state/odoo-bench-1.conf`` after a run). The script
issues a key of its own to the demo's MES client (and raises that client's
rate limit as ``bench/run`` does); nothing else changes.

Both paths run in this one process through Odoo's WSGI application, one
request at a time: no sockets, no other clients. The figures are service
times (what one request costs a worker), not the 4-client latencies of
``bench/run``: ``ms`` is wall time, ``cpu ms`` this process's CPU time (the
rest is waiting: for PostgreSQL, the disk, or a core that other processes
hold, so ``cpu ms`` moves less when the machine is busy). Each stage's time
is its own (the time of the stages it calls is theirs); ``stmts`` counts the
statements a stage sends (one per round trip: several sent at once count
as one; cursor checkouts, BEGIN and COMMIT are round trips of their own,
not counted).
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from contextlib import contextmanager
from functools import wraps

API = "/api/mfg/v1"


class Stages:
    """Exclusive time and statements per stage, over a stack of open stages."""

    def __init__(self):
        self.stack = []
        self.time = {}
        self.cpu = {}
        self.statements = {}
        self.mark = self.cpu_mark = None

    def _switch(self):
        now, cpu = time.perf_counter(), time.thread_time()
        if self.stack and self.mark is not None:
            top = self.stack[-1]
            self.time[top] = self.time.get(top, 0.0) + now - self.mark
            self.cpu[top] = self.cpu.get(top, 0.0) + cpu - self.cpu_mark
        self.mark, self.cpu_mark = now, cpu

    @contextmanager
    def stage(self, name):
        self._switch()
        self.stack.append(name)
        try:
            yield
        finally:
            self._switch()
            self.stack.pop()

    def count_statement(self):
        if self.stack:
            top = self.stack[-1]
            self.statements[top] = self.statements.get(top, 0) + 1

    def reset(self):
        self.time.clear()
        self.cpu.clear()
        self.statements.clear()


STAGES = Stages()
SQL_TRACE = []  # a list of (stage, statement) while one request is traced


def timed(name, func):
    @wraps(func)
    def wrapper(*args, **kwargs):
        with STAGES.stage(name):
            return func(*args, **kwargs)

    return wrapper


def instrument(env):
    """Wrap the pipeline's stages (on this registry's model classes) and the
    cursor's round trips; each wrapper opens a stage."""
    import odoo.sql_db
    from odoo.modules.registry import Registry

    from odoo.addons.mfg_integration_command.models import command_pipeline
    from odoo.addons.mfg_integration_governance.models import auth as governance_auth

    stages = [
        ("mfg.integration.api", "_handle", "route match, body, invocation"),
        ("mfg.integration.command", "_execute", "pipeline: span, correlation, headers"),
        ("mfg.integration.auth", "authenticate", "authentication (key, client, scope)"),
        ("mfg.integration.auth", "_consume_token", "rate-limit bucket (own transaction)"),
        ("mfg.integration.command", "_caller_env", "caller's environment"),
        ("mfg.integration.idempotency", "_begin", "idempotency: claim the key"),
        ("mfg.integration.command", "_apply", "savepoint, handler, flush"),
        ("mfg.integration.idempotency", "_finish", "idempotency: store the outcome"),
        ("mfg.integration.command", "_record", "message log row"),
        ("mfg.integration.command", "_count_request", "metrics"),
    ]
    for model, method, label in stages:
        cls = type(env[model])
        setattr(cls, method, timed(label, getattr(cls, method)))
    command_pipeline.schema_errors = timed("schema validation", command_pipeline.schema_errors)

    Cursor = odoo.sql_db.Cursor
    execute = Cursor.execute

    @wraps(execute)
    def counting_execute(self, query, *args, **kwargs):
        STAGES.count_statement()
        if SQL_TRACE:
            SQL_TRACE[-1].append((STAGES.stack[-1] if STAGES.stack else "-", str(query)))
        return execute(self, query, *args, **kwargs)

    Cursor.execute = counting_execute
    # the rate-limit bucket's own connection, where there is one
    counter = getattr(governance_auth, "CounterConnection", None)
    if counter is not None:
        run = counter.run.__func__

        def counting_run(cls, dbname, query):
            STAGES.count_statement()
            if SQL_TRACE:
                SQL_TRACE[-1].append((STAGES.stack[-1] if STAGES.stack else "-", str(query)))
            return run(cls, dbname, query)

        counter.run = classmethod(counting_run)
    Cursor.commit = timed("commit", Cursor.commit)
    Cursor.__init__ = timed("cursor checkout (DISCARD ALL)", Cursor.__init__)
    Registry.check_signaling = timed("Odoo: registry signaling check", Registry.check_signaling)


def prepare(db):
    """A fresh key of the demo MES client; its rate limit out of the way."""
    import odoo
    from odoo.modules.registry import Registry

    registry = Registry(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        client = env.ref("mfg_integration_demo.client_mes")
        # as bench/run does: the limiter runs on every request, never refuses one
        cr.execute(
            "UPDATE mfg_integration_client SET rate_limit_burst = 100000,"
            " rate_limit_per_minute = 1000000 WHERE id = %s",
            [client.id],
        )
        _key, secret = env["mfg.integration.api.key"]._issue(client)
    registry.clear_cache()
    return registry, secret


def make_caller(app):
    from werkzeug.test import EnvironBuilder

    def call(path, body, headers):
        builder = EnvironBuilder(
            path=path,
            method="POST",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", **headers},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        environ = builder.get_environ()
        status = []
        chunks = app(environ, lambda s, h, e=None: status.append(s))
        data = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        if not status[0].startswith("200"):
            raise RuntimeError(f"{path}: {status[0]} {data[:500]!r}")
        return data

    return call


def measure(name, call, count):
    STAGES.reset()
    latencies = []
    for n in range(count):
        started = time.perf_counter()
        with STAGES.stage("Odoo: request dispatch (WSGI, session, routing, env)"):
            call(n)
        latencies.append((time.perf_counter() - started) * 1000)
    return {
        "name": name,
        "p50": statistics.median(latencies),
        "mean": statistics.mean(latencies),
        "stages": {key: value * 1000 / count for key, value in STAGES.time.items()},
        "cpu": {key: value * 1000 / count for key, value in STAGES.cpu.items()},
        "statements": {key: value / count for key, value in STAGES.statements.items()},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--conf", required=True)
    parser.add_argument("-d", "--db", required=True)
    parser.add_argument("--odoo-src", default=os.environ.get("ODOO_SRC", "/opt/odoo/18.0"))
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument(
        "--cprofile", action="store_true", help="also the route's top functions (CPU time)"
    )
    parser.add_argument("--cprofile-sort", default="tottime", help="tottime, cumulative...")
    parser.add_argument(
        "--sql", action="store_true", help="also the SQL statements of one request, by stage"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, args.odoo_src)
    # the peers' packages that bench/run installed beside the product (the
    # database has their addons)
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".state", "bench-peers"))
    import odoo
    from odoo.tools import config

    config.parse_config(["-c", args.conf, "-d", args.db, f"--db-filter=^{args.db}$"])
    odoo.service.server.load_server_wide_modules()
    registry, secret = prepare(args.db)
    app = odoo.http.root
    call = make_caller(app)

    def route(n):
        call(
            API + "/bench/echo",
            {"n": n},
            {"Authorization": f"Bearer {secret}", "Idempotency-Key": f"prof-{time.time_ns()}-{n}"},
        )

    def bare(n):
        call("/bench/bare/echo", {"n": n}, {})

    for n in range(30):  # warm both paths (routing map, caches, validators)
        route(n)
        bare(n)
    with registry.cursor() as cr:
        instrument(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}))
    results = [measure("bare", bare, args.count), measure("route", route, args.count)]
    bare_result, route_result = results
    print(
        f"{args.count} requests each, one at a time, in one process "
        f"(service time, ms per request)\n"
    )
    labels = list(route_result["stages"])
    for label in bare_result["stages"]:
        if label not in labels:
            labels.append(label)
    print(f"{'':55} {'bare':>15} {'route':>22}")
    print(f"{'stage':55} {'ms':>7} {'cpu ms':>7} {'ms':>7} {'cpu ms':>7} {'stmts':>6}")
    for label in sorted(labels, key=lambda lb: -route_result["stages"].get(lb, 0)):
        print(
            f"{label:55} {bare_result['stages'].get(label, 0):7.2f} "
            f"{bare_result['cpu'].get(label, 0):7.2f} "
            f"{route_result['stages'].get(label, 0):7.2f} "
            f"{route_result['cpu'].get(label, 0):7.2f} "
            f"{route_result['statements'].get(label, 0):6.1f}"
        )
    print(
        f"{'total (mean)':55} {bare_result['mean']:7.2f} {sum(bare_result['cpu'].values()):7.2f} "
        f"{route_result['mean']:7.2f} {sum(route_result['cpu'].values()):7.2f} "
        f"{sum(route_result['statements'].values()):6.1f}"
    )
    print(f"{'total (p50)':55} {bare_result['p50']:7.2f} {'':7} {route_result['p50']:7.2f}")
    print(f"\nroute / bare, p50: {route_result['p50'] / bare_result['p50']:.2f}")
    if args.sql:
        print("\nSQL of one request through the route:")
        SQL_TRACE.append([])
        route(0)
        for label, query in SQL_TRACE.pop():
            print(f"  [{label}] {' '.join(query.split())[:160]}")
    if args.cprofile:
        profile = cProfile.Profile(time.thread_time)  # CPU time: waits left out
        profile.enable()
        for n in range(args.count):
            route(n)
        profile.disable()
        pstats.Stats(profile).sort_stats(args.cprofile_sort).print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
