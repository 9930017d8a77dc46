"""A real Odoo server in its own process, as `setup/start` runs it.

Used by the end-to-end tests and the benchmarks.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_block(size):
    """A port whose next ``size - 1`` ports are free too (a server that takes
    PORT to PORT+N), found by probing."""
    for _ in range(200):
        base = random.randrange(20000, 60000)
        if all(_bindable(port) for port in range(base, base + size)):
            return base
    raise RuntimeError(f"no block of {size} free ports")


def _bindable(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for(predicate, timeout=120, interval=0.3):
    """True once predicate() is true, False after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


DELIVERY = "mfg.integration.webhook.delivery"


class OdooServer:
    def __init__(self, url, db, log_path):
        self.url = url
        self.db = db
        self.log_path = log_path
        self.session = requests.Session()
        self.psql_args = []  # where its PostgreSQL is, when not the PG* variables' server

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

    def approved_client(self, code, scopes, **values):
        """A connected system ``code`` and an approved API client of it with
        the scopes named, made as the administrator; returns (client id, key)."""
        self.login()
        system = self.call("mfg.integration.system", "create", {"name": code, "code": code})
        scope_ids = self.call("mfg.integration.scope", "search", [("code", "in", scopes)])
        client = self.call(
            "mfg.integration.client",
            "create",
            {"name": code, "system_id": system, "scope_ids": [(6, 0, scope_ids)], **values},
        )
        # approved directly: the four-eyes approval has tests of its own
        self.call(
            "mfg.integration.client",
            "write",
            [client],
            {"state": "approved"},
            context={"mfg_client_lifecycle": True},
        )
        action = self.call("mfg.integration.client", "action_issue_key", [client])
        return client, action["context"]["mfg_api_key_secret"]

    def sql(self, query):
        """Run SQL in the server's database, as a DBA would (psql)."""
        result = subprocess.run(
            ["psql", *self.psql_args, "-d", self.db, "-Atqc", query],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()


def deliveries_settled(server):
    """No delivery waits to be sent or retried."""
    return server.call(DELIVERY, "search_count", [("state", "in", ["pending", "retrying"])]) == 0


def settle_deliveries(server, receiver, timeout=240):
    """Wait until no delivery waits; return (deliveries Odoo made, dead ones,
    the distinct (system, webhook-id) pairs the receiver got)."""
    assert wait_for(lambda: deliveries_settled(server), timeout), "deliveries still waiting"
    made = server.call(DELIVERY, "search_count", [])
    dead = server.call(DELIVERY, "search_count", [("state", "=", "dead")])
    return made, dead, {(e["system"], e["webhook_id"]) for e in receiver.events}


def received_subjects(receiver, system, event_type):
    """The subjects of the events of a type that a system received."""
    return {
        e["subject"] for e in receiver.events if (e["system"], e["type"]) == (system, event_type)
    }


def start_server(odoo_src, conf, db, log_path, extra_args=(), env=None):
    """Start Odoo on free ports; return (process, OdooServer) once it answers.

    :param env: extra environment variables of the server, e.g. its metrics
        directory (PROMETHEUS_MULTIPROC_DIR)"""
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
            env={**os.environ, **env} if env else None,
        )
    server = OdooServer(f"http://127.0.0.1:{http_port}", db, log_path)
    server.process = process
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(server.url + "/web/health", timeout=5).status_code == 200:
                return process, server
        except (requests.ConnectionError, requests.Timeout):
            pass  # not up yet, or still loading its registry on a busy machine
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
    """Run Python in `odoo-bin shell` against db (it commits what the script
    commits); return what it printed. A script that fails says why."""
    done = subprocess.run(
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
        capture_output=True,
    )
    if done.returncode:
        raise AssertionError(f"odoo-bin shell on {db} failed:\n{done.stderr[-4000:]}")
    return done.stdout


class PrivateCluster:
    """A PostgreSQL server of its own, in a temporary folder, that a test may
    stop and start again under a running Odoo."""

    def __init__(self, bindir, root, superuser):
        self.bindir = Path(bindir)
        self.root = Path(root)
        self.data = self.root / "data"
        self.superuser = superuser
        self.port = free_port()
        self.psql_args = ["-h", "127.0.0.1", "-p", str(self.port), "-U", superuser]

    def _run_as_owner(self, program, *args, check=True):
        # PostgreSQL refuses to run as root
        owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(
            [*owner, str(self.bindir / program), *args], check=check, capture_output=True, text=True
        )

    def create(self):
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run_as_owner(
            "initdb", "-D", str(self.data), "-U", self.superuser, "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        self.start()

    def start(self):
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run_as_owner(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
            "-o", options, "start",
        )  # fmt: skip

    def running(self):
        return (
            self._run_as_owner("pg_ctl", "-D", str(self.data), "status", check=False).returncode
            == 0
        )

    def stop(self, mode="fast"):
        """``fast`` ends every session at once, as a database restart does."""
        self._run_as_owner("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def copy_database(self, source, name):
        """A copy of ``source`` from the PG* variables' server, named ``name`` here."""
        subprocess.run(["createdb", *self.psql_args, name], check=True)
        dump = subprocess.Popen(["pg_dump", "-Fc", "-d", source], stdout=subprocess.PIPE)
        subprocess.run(
            ["pg_restore", *self.psql_args, "-d", name, "--no-owner"],
            stdin=dump.stdout,
            check=True,
            capture_output=True,
        )
        dump.stdout.close()
        if dump.wait() != 0:
            raise RuntimeError(f"pg_dump of {source} failed")


class ContractWatch:
    """Checks every answer of /api/mfg/v1 that the tests receive against the
    OpenAPI document of the server that gave it; collects the mismatches.

    ``contract_class`` is mfg_integration_api.contract.ResponseContract (passed
    in: the harness itself runs without Odoo, e.g. for demo/credentials.py).
    """

    API = "/api/mfg/v1/"
    # answered by their own routes, outside the document's operations
    UNDOCUMENTED = ("openapi.json", "problems/", "events/schemas/")

    def __init__(self, contract_class):
        self.contract_class = contract_class
        self.contracts = {}  # server URL: ResponseContract
        self.mismatches = []
        self.checked = 0
        self.lock = threading.Lock()

    def _contract(self, base):
        contract = self.contracts.get(base)
        if contract is None:
            session = requests.Session()
            session.hooks = {"response": []}  # not checked: the document itself
            response = session.get(base + self.API + "openapi.json", timeout=60)
            if response.status_code != 200:
                return None  # e.g. the database is down: check this server's answers later
            contract = self.contracts[base] = self.contract_class(response.json())
        return contract

    def check(self, response, *args, **kwargs):
        url = urlsplit(response.url)
        below = url.path.partition(self.API)[2]
        if self.API not in url.path or below.startswith(self.UNDOCUMENTED):
            return response
        content_type = response.headers.get("Content-Type", "")
        body = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = response.text
        try:
            contract = self._contract(f"{url.scheme}://{url.netloc}")
        except requests.RequestException:
            contract = None
        if contract is None:
            return response
        errors = contract.errors(
            response.request.method, response.url, response.status_code, content_type, body
        )
        with self.lock:
            self.checked += 1
            self.mismatches += errors
        return response

    def take(self):
        """The mismatches seen since the last call."""
        with self.lock:
            found, self.mismatches = self.mismatches, []
        return found
