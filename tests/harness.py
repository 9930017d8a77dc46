"""A real Odoo server in its own process, as `setup/start` runs it.

Used by the end-to-end tests and the benchmarks.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=120, interval=0.3):
    """True once predicate() is true, False after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


class OdooServer:
    def __init__(self, url, db, log_path):
        self.url = url
        self.db = db
        self.log_path = log_path
        self.session = requests.Session()

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def wait_for_log(self, text, timeout=60):
        return wait_for(lambda: text in self.log(), timeout)

    def _json(self, path, params):
        response = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=60,
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise RuntimeError(body["error"]["data"]["message"])
        return body.get("result")

    def login(self, login="admin", password="admin"):
        return self._json(
            "/web/session/authenticate", {"db": self.db, "login": login, "password": password}
        )

    def call(self, model, method, *args, **kwargs):
        return self._json(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def sql(self, query):
        """Run SQL in the server's database, as a DBA would (psql)."""
        result = subprocess.run(
            ["psql", "-d", self.db, "-Atqc", query], capture_output=True, text=True, check=True
        )
        return result.stdout.strip()


def start_server(odoo_src, conf, db, log_path, extra_args=()):
    """Start Odoo on free ports; return (process, OdooServer) once it answers."""
    http_port, gevent_port = free_port(), free_port()
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                os.path.join(odoo_src, "odoo-bin"),
                "-c",
                conf,
                "-d",
                db,
                f"--db-filter=^{db}$",
                f"--http-port={http_port}",
                f"--gevent-port={gevent_port}",
                "--http-interface=127.0.0.1",
                *extra_args,
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            # its own process group: a crash test can kill the server and its workers
            start_new_session=True,
        )
    server = OdooServer(f"http://127.0.0.1:{http_port}", db, log_path)
    server.process = process
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(server.url + "/web/health", timeout=5).status_code == 200:
                return process, server
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(process)
            raise RuntimeError(f"Odoo did not start:\n{server.log()[-5000:]}")
        time.sleep(0.5)


def kill_server(process):
    """SIGKILL the server and every worker, as a crash or the OOM killer would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def stop_server(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def odoo_shell(odoo_src, conf, db, script):
    """Run Python in `odoo-bin shell` against db (it commits what the script commits)."""
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
        input=script,
        text=True,
        check=True,
        capture_output=True,
    )
