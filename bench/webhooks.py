"""Outbound webhook throughput: Odoo's drain jobs against a plain Python loop.

Both POST the same kind of signed CloudEvents payloads to the same local
receiver in the same run; the ratio is what counts, not the absolute figure.
"""

import argparse
import base64
import importlib.util
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
WEBHOOK_ADDON = os.path.join(HERE, "..", "addons", "mfg_integration_webhook")

from harness import start_server, stop_server  # noqa: E402


def load(name, path):
    """A module of the addon by file, without loading the addon into Odoo."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sign = load("webhook_crypto", os.path.join(WEBHOOK_ADDON, "crypto.py")).sign
Receiver = load("webhook_receiver", os.path.join(WEBHOOK_ADDON, "tests", "receiver.py")).Receiver

EMIT_SCRIPT = """
endpoint = env["mfg.integration.webhook.endpoint"].browse({endpoint})
Event = env["mfg.integration.event"]
for index in range({count}):
    Event._emit("mfg.integration.test.v1", endpoint, {{"endpoint": endpoint.name,
                "message": "benchmark event %s" % index}}, subject="bench/%s" % index)
env.cr.commit()
"""


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


def odoo_dispatch(server, odoo_src, conf, db, receiver, count):
    call = server.call
    server.login()
    endpoint = call(
        "mfg.integration.webhook.endpoint",
        "create",
        {
            "name": "Benchmark receiver",
            "url": receiver.url,
            "allow_insecure": True,
            "event_types": "mfg.integration.test.v1",
            "state": "paused",
        },
    )
    call("mfg.integration.webhook.endpoint", "action_generate_secret", [endpoint])
    # the events and their deliveries exist before dispatch starts
    subprocess.run(
        [
            sys.executable,
            os.path.join(odoo_src, "odoo-bin"),
            "shell",
            "-c",
            conf,
            "-d",
            db,
            "--no-http",
            "--log-level=warn",
        ],
        input=EMIT_SCRIPT.format(endpoint=endpoint, count=count),
        text=True,
        check=True,
        capture_output=True,
    )
    receiver.requests.clear()
    started = time.perf_counter()
    call("mfg.integration.webhook.endpoint", "action_activate", [endpoint])
    deadline = time.monotonic() + 600
    while len(receiver.requests) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    delivered = call(
        "mfg.integration.webhook.delivery",
        "search_count",
        [("endpoint_id", "=", endpoint), ("state", "=", "delivered")],
    )
    return len(receiver.requests) / elapsed, delivered


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--odoo-src", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--quick", action="store_true", help="small run, under a minute")
    parser.add_argument("--events", type=int)
    args = parser.parse_args()
    count = args.events or (300 if args.quick else 3000)
    receiver = Receiver()
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    baseline = plain_loop(receiver.url, count, secret)
    log_path = os.path.join(tempfile.mkdtemp(), "odoo.log")
    process, server = start_server(args.odoo_src, args.conf, args.db, log_path)
    try:
        rate, delivered = odoo_dispatch(server, args.odoo_src, args.conf, args.db, receiver, count)
    finally:
        stop_server(process)
        receiver.stop()
    ratio = rate / baseline
    target = 0.5
    rows = [
        ("measure", "value"),
        ("events", str(count)),
        ("plain Python loop (deliveries/s)", f"{baseline:.0f}"),
        ("Odoo, 1 worker, 1 job slot (deliveries/s)", f"{rate:.0f}"),
        ("delivered and recorded as delivered", f"{delivered}/{count}"),
        ("ratio Odoo / plain loop", f"{ratio:.2f}"),
        ("target", f">= {target} ({'met' if ratio >= target else 'MISSED'})"),
    ]
    width = max(len(row[0]) for row in rows)
    print("\nOutbound webhooks")
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")
    return 0 if delivered == count else 1


if __name__ == "__main__":
    sys.exit(main())
