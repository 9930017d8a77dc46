"""A real Prometheus scraping a real Odoo server (two HTTP workers) with the
shipped configuration and a metrics key; the Grafana dashboard's expressions
checked against what that server exports.

Prometheus is Debian's package (setup/test installs it), run in its own
process with its own data folder and port, and stopped after the tests.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
import yaml
from harness import free_port, odoo_shell, start_server, stop_server, wait_for
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
OBSERVABILITY = ROOT / "observability"
DASHBOARD = OBSERVABILITY / "grafana" / "mfg-integration.json"
SUBSCRIBER = "Prometheus e2e receiver"

SETUP = """
import json
from odoo import Command, fields
Scope = env["mfg.integration.scope"]

def key(name, codes, system=None):
    client = env["mfg.integration.client"].create({
        "name": name,
        "system_id": system and system.id,
        "scope_ids": [Command.set(Scope.search([("code", "in", codes)]).ids)],
        "rate_limit_per_minute": 60000,
        "rate_limit_burst": 1000,
    })
    # approved as a second manager would (the four-eyes flow has its own tests)
    client.with_context(mfg_client_lifecycle=True).write(
        {"state": "approved", "approved_date": fields.Datetime.now()})
    return env["mfg.integration.api.key"]._issue(client)[1]

Endpoint = env["mfg.integration.webhook.endpoint"]
Endpoint.search([("name", "=", "%(subscriber)s")]).unlink()
Endpoint.create({"name": "%(subscriber)s", "url": "http://127.0.0.1:9/", "allow_insecure": True,
                 "event_types": "mfg.integration.test.v1", "state": "paused",
                 "delivery_sla_seconds": 123})
# the caller's requests are counted under its system, which the metrics key's company has
System = env["mfg.integration.system"]
system = System.search([("code", "=", "PROM-E2E")]) or System.create(
    {"code": "PROM-E2E", "name": "Prometheus e2e caller"})
keys = {"metrics": key("Prometheus e2e", ["metrics:read"]),
        "caller": key("Prometheus e2e caller", ["mapping:read"], system)}
env.cr.commit()
print("KEYS " + json.dumps(keys))
""".replace("%(subscriber)s", SUBSCRIBER)

# every declared counter and histogram once, from a process of the server's
# (as a command consumer would count): the ones this test's traffic does not reach,
# in the company of the metrics key (which reads its own company's series)
COUNT_EVERY_METRIC = """
Telemetry = env["mfg.integration.telemetry"]
for name, metric in Telemetry._metric_definitions().items():
    labels = {label: "e2e-dashboard" for label in metric.labels}
    if "company" in labels:
        labels["company"] = env.company.id
    if metric.kind == "counter":
        Telemetry._count(name, **labels)
    else:
        Telemetry._observe(name, 0.01, **labels)
"""


@pytest.fixture(scope="module")
def observed_server(tmp_path_factory):
    """An Odoo server with two workers writing their metrics to one folder,
    and the keys of a monitoring client and of a caller."""
    odoo_src, db, conf = (
        os.environ.get(name) for name in ("MFG_ODOO_SRC", "MFG_E2E_DB", "MFG_E2E_CONF")
    )
    if not (odoo_src and db and conf):
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    folder = tmp_path_factory.mktemp("observed")
    with pytest.MonkeyPatch.context() as patch:
        # the server's workers and the shells below share one metrics folder
        patch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder / "metrics"))
        (folder / "metrics").mkdir()
        output = odoo_shell(odoo_src, conf, db, SETUP)
        keys = json.loads(
            next(line for line in output.splitlines() if line.startswith("KEYS "))[5:]
        )
        process, server = start_server(odoo_src, conf, db, folder / "server.log")
        server.keys, server.odoo_src, server.conf = keys, odoo_src, conf
        try:
            yield server
        finally:
            stop_server(process)


def scrape(server, key):
    return requests.get(
        server.url + "/metrics", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


class Prometheus:
    """Debian's prometheus with the suite's configuration, scraping one server
    every second."""

    def __init__(self, folder, target, key):
        if not shutil.which("prometheus"):
            pytest.fail("prometheus is missing: setup/test installs Debian's prometheus package")
        config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
        config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
        config["scrape_configs"][0]["static_configs"] = [{"targets": [target]}]
        (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
        shutil.copy(OBSERVABILITY / "alerts.yml", folder / "alerts.yml")
        (folder / "mfg-metrics.key").write_text(key + "\n")
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = folder / "prometheus.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [
                    "prometheus",
                    f"--config.file={folder / 'prometheus.yml'}",
                    f"--storage.tsdb.path={folder / 'data'}",
                    f"--web.listen-address={self.url.removeprefix('http://')}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not wait_for(self.ready, timeout=60):
            self.stop()
            pytest.fail(f"Prometheus did not start:\n{self.log.read_text()[-3000:]}")

    def ready(self):
        try:
            return requests.get(self.url + "/-/ready", timeout=2).status_code == 200
        except requests.ConnectionError:
            return self.process.poll() is not None  # dead: stop waiting

    def query(self, expression):
        """{frozenset(labels): value} of an instant query."""
        response = requests.get(
            self.url + "/api/v1/query", params={"query": expression}, timeout=10
        )
        body = response.json()
        assert body["status"] == "success", body
        return {
            frozenset(result["metric"].items()): float(result["value"][1])
            for result in body["data"]["result"]
        }

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def prometheus(observed_server, tmp_path):
    target = observed_server.url.removeprefix("http://")
    instance = Prometheus(tmp_path, target, observed_server.keys["metrics"])
    yield instance
    instance.stop()


def echo(server, key, name):
    return requests.post(
        server.url + "/api/mfg/v1/test/echo",
        json={"name": name},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def test_metrics_are_refused_without_a_metrics_key(observed_server):
    assert scrape(observed_server, "mfg_0000_wrong").status_code == 401
    # a valid key without the scope metrics:read
    assert scrape(observed_server, observed_server.keys["caller"]).status_code in (401, 403)
    assert scrape(observed_server, observed_server.keys["metrics"]).status_code == 200


def test_prometheus_scrapes_the_server_and_answers_its_figures(observed_server, prometheus):
    server = observed_server

    def current(expression):
        return prometheus.query(expression)

    def total(expression):
        return sum(current(expression).values())

    # the scrape succeeds with the key file, through the shipped job
    up = 'up{job="mfg-integration"}'
    assert wait_for(
        lambda: list(current(up).values()) == [1.0], 60
    ), f"no successful scrape:\n{prometheus.log.read_text()[-3000:]}"
    # what the module's other tests counted before
    # (the command label may carry the command's version: test.echo.v1)
    accepted = 'sum(mfg_requests_total{command=~"test[.]echo.*", status="200", transport="rest"})'
    refused = 'sum(mfg_refusals_total{reason="unauthenticated"})'
    timed = 'sum(mfg_request_duration_seconds_count{command=~"test[.]echo.*", transport="rest"})'
    accepted_before, refused_before, timed_before = total(accepted), total(refused), total(timed)
    for n in range(3):
        assert echo(server, server.keys["caller"], f"Prometheus {n}").status_code == 200
    for n in range(2):
        assert echo(server, "mfg_0000_not-a-key", f"Stranger {n}").status_code == 401
    # counters of both workers, summed by the server's one scrape
    assert wait_for(lambda: total(accepted) == accepted_before + 3, 60), current(accepted)
    assert wait_for(lambda: total(refused) == refused_before + 2, 60), current(refused)
    # a gauge computed by SQL at scrape time: the subscriber's SLA as configured
    sla = current(f'mfg_outbox_sla_seconds{{subscriber="{SUBSCRIBER}"}}')
    assert list(sla.values()) == [123.0], sla
    (labels,) = sla
    assert dict(labels)["sink"] == "webhook" and dict(labels)["job"] == "mfg-integration"
    # the latency histogram: one observation per request, accepted or refused
    assert total(timed) == timed_before + 5, current(timed)
    # the rules were loaded and evaluated against the scraped series
    rules = requests.get(prometheus.url + "/api/v1/rules", timeout=10).json()["data"]["groups"]
    assert {group["name"] for group in rules} == {"mfg-integration", "mfg-integration-recording"}
    assert all(rule["health"] == "ok" for group in rules for rule in group["rules"]), rules


# ----------------------------------------------------------------------
# the Grafana dashboard
# ----------------------------------------------------------------------
# PromQL's words that look like metric names
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan"}  # fmt: skip


def dashboard_expressions():
    """(where, PromQL) of every panel target and template variable, with the
    variables replaced by what Grafana would put in their place."""
    dashboard = json.loads(DASHBOARD.read_text())
    found = []

    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                found.append((panel["title"], target["expr"]))
            walk(panel.get("panels", []))

    walk(dashboard["panels"])
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            inner = re.fullmatch(r"label_values\((.*),\s*\w+\)", variable["query"]["query"])
            found.append((f"variable {variable['name']}", inner.group(1)))
    return [
        (where, re.sub(r"\$\w+", ".*", expr.replace("$__rate_interval", "5m")))
        for where, expr in found
    ]


def metric_names(expression):
    """The metric names a PromQL expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)  # label values
    text = re.sub(r"\{[^}]*\}", "", text)  # matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        following = text[match.end() :].lstrip()
        if following.startswith("(") or match.group().lower() in KEYWORDS:
            continue  # a function or an aggregation, not a metric
        names.add(match.group())
    return names


def test_dashboard_expressions_are_valid_promql(tmp_path):
    """Every expression of the dashboard, as a recording rule, passes promtool."""
    rules = [
        {"record": f"dashboard:expression_{n}", "expr": expr}
        for n, (_where, expr) in enumerate(dashboard_expressions())
    ]
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    if not shutil.which("promtool"):
        pytest.fail("promtool is missing: setup/test installs Debian's prometheus package")
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {variable["name"] for variable in dashboard["templating"]["list"]}
    assert {"datasource", "job", "instance", "system", "subscriber", "command"} <= variables


def test_dashboard_and_alerts_read_only_metrics_the_server_exports(observed_server):
    """The names in the dashboard's and the alert rules' expressions, against
    the real /metrics of a server on which every declared counter and
    histogram has counted once (their series appear with their first count)."""
    server = observed_server
    odoo_shell(server.odoo_src, server.conf, server.db, COUNT_EVERY_METRIC)
    echo(server, server.keys["caller"], "dashboard")
    response = scrape(server, server.keys["metrics"])
    assert response.status_code == 200, response.text
    exported = set()
    for family in text_string_to_metric_families(response.text):
        exported |= {sample.name for sample in family.samples}
        if family.type == "gauge":
            exported.add(family.name)  # a gauge with no row still names itself
    # histograms as Prometheus stores them: _bucket, _sum and _count
    assert "mfg_request_duration_seconds_bucket" in exported
    unknown = {}
    for where, expression in dashboard_expressions():
        missing = metric_names(expression) - exported
        if missing:
            unknown[where] = sorted(missing)
    assert unknown == {}, f"dashboard panels read metrics the server does not export: {unknown}"
    alerts = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    for group in alerts["groups"]:
        for rule in group["rules"]:
            # Prometheus's own up, and the rules' recorded series
            names = {
                name
                for name in metric_names(rule["expr"])
                if name != "up" and not name.startswith("mfg:")
            }
            assert names <= exported, (rule.get("alert") or rule["record"], names - exported)


def test_metric_names_are_read_from_expressions():
    expression = (
        'sum by (le, command) (rate(mfg_request_duration_seconds_bucket{command=~".*"}[5m])) '
        "/ on (command) group_left max(mfg_outbox_backlog offset 5m) > bool 0 unless up"
    )
    assert metric_names(expression) == {
        "mfg_request_duration_seconds_bucket",
        "mfg_outbox_backlog",
        "up",
    }
