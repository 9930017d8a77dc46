"""/metrics of a real server with two HTTP workers: one scrape sums what every
worker counted, and a worker that dies leaves its counts in the total."""

import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from harness import start_server, stop_server, wait_for

REQUESTS = 40
SERIES = re.compile(r"^mfg_requests_total\{([^}]*)\} (\S+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def metrics_server(tmp_path_factory):
    odoo_src, conf = os.environ.get("MFG_ODOO_SRC"), os.environ.get("MFG_E2E_CONF")
    db = os.environ.get("MFG_METRICS_DB")
    if not (odoo_src and conf and db):
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    directory = tmp_path_factory.mktemp("metrics")
    log_path = tmp_path_factory.mktemp("odoo-metrics") / "server.log"
    process, server = start_server(
        odoo_src, conf, db, log_path, env={"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    )
    # Prometheus on this machine reads without a key
    server.sql(
        "INSERT INTO ir_config_parameter (key, value) "
        "VALUES ('mfg_integration.metrics_ip_allowlist', '127.0.0.1') "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
    )
    server.directory = directory
    yield server
    stop_server(process)


def refused_requests(text):
    """The sum of mfg_requests_total over every series of refused requests
    (401; 429 once an address sent too many bad credentials this minute)."""
    return sum(
        float(value)
        for labels, value in SERIES.findall(text)
        if 'status="401"' in labels or 'status="429"' in labels
    )


def scrape(server):
    response = requests.get(server.url + "/metrics", timeout=60)
    assert response.status_code == 200, response.text
    return response.text


def parent_of(pid):
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


def counting_pids(server):
    """The processes that have counter files (the archive aside)."""
    return [
        int(name[len("counter_") : -3])
        for name in worker_files(server)
        if name != "counter_archive.db"
    ]


def worker_files(server):
    return {path.name for path in Path(server.directory).glob("counter_*.db")}


def test_one_scrape_sums_both_workers(metrics_server):
    before = refused_requests(scrape(metrics_server))

    def call(_index):
        # no key: refused by the command pipeline, and counted
        return requests.get(
            metrics_server.url + "/api/mfg/v1/production-orders/1", timeout=60
        ).status_code

    # concurrent requests keep both workers busy
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(call, range(REQUESTS)))
    assert set(statuses) <= {401, 429}, statuses
    counting = {name for name in worker_files(metrics_server) if name != "counter_archive.db"}
    assert len(counting) >= 2, f"one worker answered everything: {counting}"
    text = scrape(metrics_server)
    assert refused_requests(text) == before + REQUESTS, text


def test_a_dead_workers_counts_stay_and_its_files_go(metrics_server):
    for _index in range(10):
        requests.get(metrics_server.url + "/api/mfg/v1/production-orders/1", timeout=60)
    total = refused_requests(scrape(metrics_server))
    pids = [
        pid for pid in counting_pids(metrics_server) if parent_of(pid) == metrics_server.process.pid
    ]
    assert pids
    os.kill(pids[0], signal.SIGKILL)  # a worker dies (recycled, OOM-killed)
    assert wait_for(lambda: not Path(f"/proc/{pids[0]}").exists(), timeout=30)
    # the next scrape (by a living worker) merges the dead worker's files
    assert wait_for(lambda: refused_requests(scrape(metrics_server)) == total, timeout=60), (
        refused_requests(scrape(metrics_server)),
        total,
        sorted(worker_files(metrics_server)),
    )
    files = worker_files(metrics_server)
    assert f"counter_{pids[0]}.db" not in files, files
    assert "counter_archive.db" in files, (files, metrics_server.log()[-3000:])
    assert refused_requests(scrape(metrics_server)) == total
