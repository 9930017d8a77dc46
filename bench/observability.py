"""Observability measures of bench/run: what a Prometheus scrape costs on a busy
database, and what counting metrics and tracing spans cost the inbound hot path.

- scrape: GET /metrics with a metrics key (the demo's monitoring client) while
  the message log holds N rows (inserted with generate_series), p50 and p99 of
  repeated scrapes; target p50 <= 100 ms.
- overhead: the framework's trivial command (bench/echo), 4 clients, on the same
  database served by two HTTP workers: "on" with the metrics folder of the
  workers and an OTLP/HTTP trace exporter configured (to a local receiver that
  accepts every export), "off" with metrics switched off in the server's
  configuration (``mfg_integration_metrics = False``) and no OTEL_* variable, so
  that nothing is counted or traced; off then on, two rounds (one with
  --quick). Target: p50 latency at most 5% higher on than off.
"""

import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from harness import free_port, start_server, stop_server  # noqa: E402

API = "/api/mfg/v1"
TELEMETRY_VARIABLES = ("PROMETHEUS_MULTIPROC_DIR",)  # plus every OTEL_* variable


def fill_message_log(server, rows):
    """Top the message log up to ``rows`` rows, in one statement (as old traffic
    would have left them: 30 days, both directions, a few statuses)."""
    have = int(server.sql("SELECT count(*) FROM mfg_integration_message_log"))
    missing = rows - have
    if missing > 0:
        server.sql(
            "INSERT INTO mfg_integration_message_log (company_id, direction, route, method, "
            "status, http_status, latency_ms, correlation_id, attempt, create_date, write_date) "
            "SELECT 1, CASE WHEN n % 3 = 0 THEN 'outbound' ELSE 'inbound' END, "
            "'/api/mfg/v1/bench/echo', 'POST', "
            "CASE WHEN n % 20 = 0 THEN 'rejected' ELSE 'success' END, "
            "CASE WHEN n % 20 = 0 THEN 422 ELSE 200 END, (n % 500) / 10.0, "
            "'bench-' || n, 1, now() - (n % 2592000) * interval '1 second', now() "
            f"FROM generate_series(1, {missing}) AS n"
        )
        server.sql("ANALYZE mfg_integration_message_log")
    return int(server.sql("SELECT count(*) FROM mfg_integration_message_log"))


def measure_scrape(server, metrics_key, count):
    """Latencies (ms) of ``count`` scrapes, after a few to warm the workers."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {metrics_key}"}

    def scrape():
        started = time.perf_counter()
        response = session.get(server.url + "/metrics", headers=headers, timeout=60)
        elapsed = (time.perf_counter() - started) * 1000
        assert (
            response.status_code == 200
        ), f"/metrics: {response.status_code} {response.text[:300]}"
        assert "mfg_outbox_backlog" in response.text, "/metrics lacks the outbox gauges"
        return elapsed

    for _n in range(5):
        scrape()
    return [scrape() for _n in range(count)]


class _AcceptTraces(BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver that accepts every export and keeps nothing."""

    received = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def trace_receiver():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _AcceptTraces)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@contextmanager
def environment(values):
    """os.environ with ``values`` set and every other telemetry variable unset,
    for the servers started inside."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name in TELEMETRY_VARIABLES or name.startswith("OTEL_"):
            del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def conf_without_metrics(conf, path):
    """A copy of the server configuration ``conf`` with metrics switched off."""
    text = Path(conf).read_text()
    path.write_text(text.replace("[options]\n", "[options]\nmfg_integration_metrics = False\n", 1))
    return str(path)


def echo_latencies(url, key, count, run_parallel, post_echo):
    def framework(n):
        post_echo(url, key, n, "observability")

    # from 4 clients, so that both workers have loaded the registry and warmed
    # their caches before the measure
    run_parallel([(lambda n=n: framework(n)) for n in range(80)])
    return run_parallel([(lambda n=n: framework(n)) for n in range(count)])


def measure(args, sizes, logs, helpers):
    """The observability rows of the table. ``helpers``: the suite's
    run_parallel, post_echo, percentile, verdict, issue_credentials,
    progress (one helper set for every measure)."""
    run_parallel, post_echo = helpers["run_parallel"], helpers["post_echo"]
    percentile, verdict, progress = helpers["percentile"], helpers["verdict"], helpers["progress"]
    rows_wanted, scrapes, requests_count, rounds = (
        sizes["log_rows"],
        sizes["scrapes"],
        sizes["obs_overhead"],
        sizes["obs_rounds"],
    )
    off_conf = conf_without_metrics(args.conf2, logs / "odoo-metrics-off.conf")
    results = {}
    with trace_receiver() as otlp_url:
        metrics_dir = tempfile.mkdtemp(prefix="mfg-bench-metrics-")
        on_env = {
            "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
            "OTEL_SERVICE_NAME": "mfg-bench",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_url,
        }
        # off and on in turn, twice in a full run: a drift of the machine (other
        # work, the database's caches) weighs on both sides alike
        for label, conf, values in (("off", off_conf, {}), ("on", args.conf2, on_env)) * rounds:
            progress(f"observability: trivial command, 4 clients, telemetry {label}")
            with environment(values):
                process, server = start_server(
                    args.odoo_src, conf, args.db, logs / f"odoo-obs-{label}.log"
                )
            try:
                credentials = helpers["issue_credentials"](
                    server.url, args.db, "http://127.0.0.1:9"
                )
                rate, latencies = echo_latencies(
                    server.url,
                    credentials["keys"]["MES-01"],
                    requests_count,
                    run_parallel,
                    post_echo,
                )
                rates, all_latencies = results.setdefault(label, ([], []))
                rates.append(rate)
                all_latencies.extend(latencies)
                if label == "on" and "scrape" not in results:
                    progress(f"observability: /metrics with {rows_wanted} message-log rows")
                    log_rows = fill_message_log(server, rows_wanted)
                    results["scrape"] = (
                        log_rows,
                        measure_scrape(server, credentials["metrics_key"], scrapes),
                    )
                    results["traces"] = _AcceptTraces.received
            finally:
                stop_server(process)
    log_rows, scrape_latencies = results["scrape"]
    scrape_p50 = statistics.median(scrape_latencies)
    (on_rates, on_lat), (off_rates, off_lat) = results["on"], results["off"]
    on_rate, off_rate = statistics.mean(on_rates), statistics.mean(off_rates)
    overhead = statistics.median(on_lat) / statistics.median(off_lat) - 1
    return [
        (f"Observability: /metrics with {log_rows:,} message-log rows", "", "", ""),
        (
            f"  {scrapes} scrapes with a metrics key (p50, p99 ms)",
            "",
            f"{scrape_p50:.1f}",
            f"{percentile(scrape_latencies, .99):.1f}",
        ),
        (
            "  p50 of a scrape, target <= 100 ms",
            f"{scrape_p50:.1f}",
            verdict(scrape_p50 <= 100),
            "",
        ),
        ("Observability overhead: trivial command, 4 clients", "", "", ""),
        (
            "  off: metrics switched off, no tracing (req/s, p50, p99 ms)",
            f"{off_rate:.1f}",
            f"{statistics.median(off_lat):.1f}",
            f"{percentile(off_lat, .99):.1f}",
        ),
        (
            f"  on: metrics of 2 workers, OTLP traces ({results['traces']} exports)",
            f"{on_rate:.1f}",
            f"{statistics.median(on_lat):.1f}",
            f"{percentile(on_lat, .99):.1f}",
        ),
        (
            "  overhead on p50 latency, target <= 5%",
            f"{overhead:.1%}",
            verdict(overhead <= 0.05),
            "",
        ),
    ]
