"""Demo webhook receiver: verifies Standard Webhooks signatures, prints one line
per event, and answers like a real MES or WMS would.

    python demo/receiver.py --port 8075 --credentials .state/demo-credentials.json

Each connected system posts to /<system code> (e.g. /MES-01) and is verified
with its signing secret from the credentials file (read again when it changes).
Tell it to misbehave, to watch retries and the circuit breaker:

    curl -X POST localhost:8075/_control -d '{"mode": "fail"}'    # answer 503
    curl -X POST localhost:8075/_control -d '{"mode": "slow", "delay": 3}'
    curl -X POST localhost:8075/_control -d '{"mode": "ok"}'
    curl localhost:8075/_events                                      # what arrived
"""

import argparse
import json
import random
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self, credentials_path, fail_rate=0.0, quiet=False):
        self.credentials_path = Path(credentials_path) if credentials_path else None
        self.fail_rate = fail_rate
        self.quiet = quiet
        self.mode = "ok"
        self.delay = 0.0
        self.events = []
        self.rejected = 0
        self.lock = threading.Lock()
        self._secrets = {}
        self._mtime = None

    def secrets(self):
        if not self.credentials_path or not self.credentials_path.exists():
            return {}
        mtime = self.credentials_path.stat().st_mtime
        if mtime != self._mtime:
            self._secrets = json.loads(self.credentials_path.read_text()).get("secrets", {})
            self._mtime = mtime
        return self._secrets

    def receive(self, system, headers, body):
        """(status, answer) for one delivery."""
        secret = self.secrets().get(system)
        if not secret:
            return 404, {"error": f"no signing secret for '{system}'"}
        try:
            payload = Webhook(secret).verify(body, headers)
        except WebhookVerificationError as error:
            with self.lock:
                self.rejected += 1
            self._print(f"REJECTED  {system:<10} bad signature: {error}")
            return 401, {"error": "invalid signature"}
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "fail" or random.random() < self.fail_rate:
            self._print(f"FAILING   {system:<10} {payload.get('type')} (answering 503)")
            return 503, {"error": "temporarily unavailable"}
        webhook_id = headers.get("webhook-id")
        with self.lock:
            # the same event reaches each endpoint with the same id: duplicates are per system
            again = any(
                e["webhook_id"] == webhook_id and e["system"] == system for e in self.events
            )
            self.events.append(
                {
                    "system": system,
                    "webhook_id": webhook_id,
                    "type": payload.get("type"),
                    "subject": payload.get("subject"),
                    "data": payload.get("data"),
                    "received_at": time.time(),
                }
            )
        self._print(
            f"{datetime.now():%H:%M:%S}  {system:<10} {payload.get('type'):<34} "
            f"{payload.get('subject') or '':<24} {webhook_id}{'  (again)' if again else ''}"
        )
        return 200, {"received": webhook_id}

    def _print(self, line):
        if not self.quiet:
            print(line, flush=True)


def make_handler(receiver):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/_events":
                with receiver.lock:
                    return self._answer(200, receiver.events)
            return self._answer(200, {"status": "up", "mode": receiver.mode})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/_control":
                order = json.loads(body or b"{}")
                receiver.mode = order.get("mode", "ok")
                receiver.delay = float(order.get("delay", 2))
                receiver._print(f"MODE      {receiver.mode}")
                return self._answer(200, {"mode": receiver.mode})
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, answer = receiver.receive(self.path.strip("/"), headers, body)
            return self._answer(status, answer)

        def log_message(self, *args):  # one line per event is printed by Receiver
            pass

    return Handler


def serve(port, receiver, host="127.0.0.1"):
    server = ThreadingHTTPServer((host, port), make_handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8075)
    parser.add_argument("--credentials", default=".state/demo-credentials.json")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of 503 answers")
    args = parser.parse_args(argv)
    receiver = Receiver(args.credentials, fail_rate=args.fail_rate)
    server = serve(args.port, receiver)
    print(f"demo receiver listening on http://127.0.0.1:{args.port}/<system>", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
