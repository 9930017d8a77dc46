"""Integration Health: the dashboard's data for one system over 30 days, on a
message log of many rows, after the hourly roll-up (target: p50 <= 200 ms).

The rows are inserted by SQL (generate_series) over the last 30 days for the
measured system, rolled up by the cron's own method, then the dashboard's data
method is called as an Integration user, repeatedly; the rows and their
aggregates are deleted afterwards. Run by bench/suite.py, or alone:

    .venv/bin/python bench/health.py --odoo-src ODOO --conf odoo.conf --db DB --rows 20000
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from harness import odoo_shell

TARGET_MS = 200

HEALTH_SCRIPT = """
import json, statistics, time
rows = {rows}
calls = {calls}
System = env["mfg.integration.system"]
system = System.create({{"code": "BENCH-HEALTH", "name": "Benchmark MES", "kind": "mes"}})
neighbour = System.create({{"code": "BENCH-HEALTH-2", "name": "Benchmark WMS", "kind": "wms"}})
env.cr.commit()
started = time.perf_counter()
# the measured system gets the rows (inbound: a system's row counts what it sent;
# what Odoo sends counts under its subscribers); a neighbour a tenth as many, so
# that the aggregates of more than one system are there to filter
for target, count in ((system, rows), (neighbour, max(1, rows // 10))):
    env.cr.execute(
        '''INSERT INTO mfg_integration_message_log
                  (direction, system_id, route, status, latency_ms, attempt, company_id, count,
                   create_date, write_date, create_uid, write_uid)
           SELECT 'inbound', %s,
                  '/api/mfg/v1/bench',
                  CASE WHEN i %% 50 = 0 THEN 'failed' WHEN i %% 97 = 0 THEN 'rejected'
                       ELSE 'success' END,
                  (i %% 400) + random() * 20, CASE WHEN i %% 40 = 0 THEN 2 ELSE 1 END,
                  %s, 1, stamp, stamp, 1, 1
             FROM generate_series(1, %s) AS i,
                  LATERAL (SELECT (now() at time zone 'UTC')
                                  - (i * interval '29 days 23 hours' / %s) AS stamp) AS at''',
        (target.id, target.company_id.id, count, count),
    )
env.cr.commit()
inserted = time.perf_counter() - started
started = time.perf_counter()
env["mfg.integration.hourly.stat"]._roll_up()
env.cr.commit()
rolled = time.perf_counter() - started
user = env.ref("base.user_admin")
Health = env["mfg.integration.health"].with_user(user)
data = Health.get_health_data("30d", system.id)
assert data["systems"][0]["messages"] >= rows * 0.99, data["systems"][0]["messages"]
timings = []
for _call in range(calls):
    env.invalidate_all()
    started = time.perf_counter()
    Health.get_health_data("30d", system.id)
    timings.append((time.perf_counter() - started) * 1000)
measured = (system.id, neighbour.id)
env.cr.execute(
    "SELECT count(*) FROM mfg_integration_hourly_stat WHERE system_id = %s", (system.id,)
)
aggregates = env.cr.fetchone()[0]
env.cr.execute("DELETE FROM mfg_integration_message_log WHERE system_id IN %s", (measured,))
env.cr.execute("DELETE FROM mfg_integration_hourly_stat WHERE system_id IN %s", (measured,))
(system | neighbour).unlink()
env.cr.commit()
print("HEALTH " + json.dumps({{
    "insert_s": inserted, "rollup_s": rolled, "aggregates": aggregates,
    "p50_ms": statistics.median(timings), "max_ms": max(timings),
}}))
"""


def measure_health(odoo_src, conf, db, rows, calls=20):
    """{insert_s, rollup_s, aggregates, p50_ms, max_ms} of the dashboard measure."""
    output = odoo_shell(odoo_src, conf, db, HEALTH_SCRIPT.format(rows=int(rows), calls=int(calls)))
    line = next((line for line in output.splitlines() if line.startswith("HEALTH ")), None)
    if line is None:
        raise RuntimeError(f"the health measure printed no result:\n{output[-3000:]}")
    return json.loads(line[len("HEALTH ") :])


def health_rows(result, rows):
    """The benchmark table's rows of this measure."""
    return [
        (f"Integration Health: {rows:,} message-log rows, one system over 30 days", "", "", ""),
        ("  rows inserted by SQL (s)", f"{result['insert_s']:.1f}", "", ""),
        (
            f"  hourly roll-up (s), aggregates of the system: {result['aggregates']}",
            f"{result['rollup_s']:.1f}",
            "",
            "",
        ),
        (
            f"  dashboard data (ms), target p50 <= {TARGET_MS}",
            f"{result['p50_ms']:.1f}",
            f"{result['p50_ms']:.0f}",
            f"{result['max_ms']:.0f}",
        ),
        (
            "  verdict",
            "met" if result["p50_ms"] <= TARGET_MS else "MISSED",
            "",
            "",
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo-src", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    result = measure_health(args.odoo_src, args.conf, args.db, args.rows, args.calls)
    for name, *values in health_rows(result, args.rows):
        print(f"{name:<72} {values[0]:>10} {values[1]:>8} {values[2]:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
