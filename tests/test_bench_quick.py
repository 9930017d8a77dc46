"""The benchmark runs: `bench/run --quick` prints its whole table (no timing asserted)."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_prints_every_measure():
    result = subprocess.run(
        [str(ROOT / "bench" / "run"), "--quick"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = result.stdout
    for measure in (
        "REST route",
        "JSON-RPC execute_kw, known ids, 1 call",
        "the same with a finished lot",
        "JSON-RPC execute_kw, known ids, 3 calls",
        "bare Odoo controller",
        "asynchronous requests (queue_job)",
        "uncached",
        "plain Python loop",
        "Odoo, 1 job slot(s)",
        "Odoo, 2 job slot(s)",
        "peak memory of an Odoo worker",
        "plain pika loop, a confirm each",
        "Odoo sink: events/s",
        "command queue, 2 consumer processes",
        "peak while it reads",
        "p50 of a scrape, target <= 100 ms",
        "off: metrics switched off, no tracing",
        "on: metrics of 2 workers",
        "OCA FastAPI + fastapi_auth_api_key, known ids, 1 request",
        "OCA FastAPI + fastapi_auth_api_key, same JSON",
        "our route / FastAPI throughput, target >= 1.2",
        "durable bare controller: inserts one row, commits",
        "overhead over the durable controller at p50, target <= 20%",
        "payload checked against its JSON Schema",
        "receiver answers after 1 s: Odoo webhook",
        "receiver answers after 1 s: our outbox",
        "receiver down meanwhile: Odoo webhook, events got once it is back",
        "peak memory of an Odoo worker during each measure",
        "look-ups of the cache: hits; misses",
        "hit ratio, target >= 99%",
        "wall time of the whole benchmark",
        "by extract (COPY, SQL): found 100, exactly the planted: yes",
        "by checksums: found 100, exactly the planted: yes",
        "ratio pull / JSON-RPC, target >= 2",
    ):
        assert measure in table, measure
    # every order done while the receiver was down reached it through the outbox
    # once it was back (Odoo's webhook sends each event once: its row tells)
    outbox_after_down = next(
        line for line in table.splitlines() if "our outbox, events got; s to the last" in line
    )
    assert "3/3" in outbox_after_down and outbox_after_down.endswith("met"), outbox_after_down
    # every benchmark event reached the receiver, with one and with two job slots
    assert table.count("200/200") == 2, table
    # every event of the broker sink was confirmed and reached its subscriber
    assert "100/100" in table, table
    print(table)
