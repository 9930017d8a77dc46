"""End-to-end fixtures: a real Odoo server, as `setup/start` runs it.

The server runs in its own process with HTTP workers and the queue_job runner,
on free ports, against a copy of the test database made by `setup/test`.
"""

import json
import os
import sys
from pathlib import Path

import pytest
import requests
from harness import ContractWatch, free_port, start_server, stop_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "demo"))

from credentials import issue_credentials
from receiver import Receiver, serve


def _response_contract(document):
    # imported once Odoo is set up by pytest-odoo
    from odoo.addons.mfg_integration_api.contract import ResponseContract

    return ResponseContract(document)


CONTRACT = ContractWatch(_response_contract)


@pytest.fixture(scope="session", autouse=True)
def api_contract():
    """Every answer of the API that a test receives (any thread, any session)
    is checked against the server's OpenAPI document."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.sessions, "default_hooks", lambda: {"response": [CONTRACT.check]})
        yield CONTRACT


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    outcome = yield
    mismatches = CONTRACT.take()
    if mismatches and outcome.excinfo is None:
        shown = "\n".join(sorted(set(mismatches))[:30])
        outcome.force_exception(
            AssertionError(f"{len(mismatches)} answers break the OpenAPI document:\n{shown}")
        )


@pytest.fixture(scope="session")
def odoo_server(tmp_path_factory):
    odoo_src = os.environ.get("MFG_ODOO_SRC")
    db = os.environ.get("MFG_E2E_DB")
    conf = os.environ.get("MFG_E2E_CONF")
    if not (odoo_src and db and conf):
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    log_path = tmp_path_factory.mktemp("odoo") / "server.log"
    try:
        process, server = start_server(odoo_src, conf, db, log_path)
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server
    stop_server(process)


@pytest.fixture(scope="session")
def demo_receiver(tmp_path_factory):
    """Point a demo plant's endpoints at a new demo receiver on a free port.

    ``make(server, listen=True, amqp_url=None)`` issues the plant's demo
    credentials (the receiver verifies signatures with them) and returns
    (receiver, credentials, port, HTTP server or None); unless told not to, the
    receiver listens before the endpoints point at it. With amqp_url, the plant
    is connected to that broker as setup/start connects it (its analytics sink
    publishes, its command queue is declared)."""

    def make(server, listen=True, amqp_url=None):
        port = free_port()
        credentials_path = tmp_path_factory.mktemp("receiver") / "credentials.json"
        receiver = Receiver(credentials_path, quiet=True)
        http = serve(port, receiver) if listen else None
        credentials = issue_credentials(
            server.url, server.db, f"http://127.0.0.1:{port}", amqp_url=amqp_url
        )
        credentials_path.write_text(json.dumps(credentials))
        return receiver, credentials, port, http

    return make


@pytest.fixture(scope="session")
def demo(tmp_path_factory, demo_receiver):
    """A server on a fresh database with the demo plant, the demo receiver, and
    the plant connected to the broker of $MFG_AMQP_URL, as setup/start runs it."""
    db = os.environ.get("MFG_DEMO_DB")
    amqp_url = os.environ.get("MFG_AMQP_URL")
    if not (db and amqp_url):
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    log_path = tmp_path_factory.mktemp("odoo-demo") / "server.log"
    process, server = start_server(
        os.environ["MFG_ODOO_SRC"], os.environ["MFG_E2E_CONF"], db, log_path
    )
    receiver, credentials, _port, http = demo_receiver(server, amqp_url=amqp_url)
    server.login()
    yield server, receiver, credentials
    http.shutdown()
    stop_server(process)
