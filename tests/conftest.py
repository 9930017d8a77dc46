"""End-to-end fixtures: a real Odoo server, as `setup/start` runs it.

The server runs in its own process with HTTP workers and the queue_job runner,
on free ports, against a copy of the test database made by `setup/test`.
"""

import os

import pytest
from harness import start_server, stop_server


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
