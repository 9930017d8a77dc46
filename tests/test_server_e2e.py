"""The product as `setup/start` serves it: login page, JSON-RPC, the job runner."""

import time


def test_login_page_is_served(odoo_server):
    response = odoo_server.session.get(odoo_server.url + "/web/login", timeout=30)
    assert response.status_code == 200
    assert 'name="login"' in response.text


def test_mapping_change_reaches_every_worker(odoo_server):
    """Both HTTP workers cache the value map; a committed change reaches both."""
    odoo_server.login()
    system_id = odoo_server.call(
        "mfg.integration.system", "create", {"code": "E2E-MES", "name": "E2E MES", "kind": "mes"}
    )
    map_id = odoo_server.call(
        "mfg.integration.value.map",
        "create",
        {
            "system_id": system_id,
            "domain": "uom",
            "line_ids": [(0, 0, {"external_code": "KGM", "canonical_value": "kg"})],
        },
    )
    for _attempt in range(10):  # warms the caches of both workers
        assert (
            odoo_server.call("mfg.integration.mapping", "map_inbound", "E2E-MES", "uom", "kgm")
            == "kg"
        )
        assert (
            odoo_server.call("mfg.integration.mapping", "map_outbound", "E2E-MES", "uom", "kg")
            == "KGM"
        )
    line_ids = odoo_server.call("mfg.integration.value.map", "read", [map_id], ["line_ids"])[0][
        "line_ids"
    ]
    odoo_server.call(
        "mfg.integration.value.map.line", "write", line_ids, {"canonical_value": "kilogram"}
    )
    for _attempt in range(10):
        assert (
            odoo_server.call("mfg.integration.mapping", "map_inbound", "E2E-MES", "uom", "KGM")
            == "kilogram"
        )


def test_job_runner_runs_the_purge_job(odoo_server):
    odoo_server.login()
    assert odoo_server.wait_for_log("queue_job.jobrunner.runner: database connections ready")
    odoo_server.sql(
        "INSERT INTO mfg_integration_message_log (direction, status, company_id, create_date, "
        "correlation_id) VALUES ('inbound', 'success', 1, now() - interval '90 days', 'e2e-old')"
    )
    settings_id = odoo_server.call("res.config.settings", "create", {})
    action = odoo_server.call("res.config.settings", "action_purge_message_log", [settings_id])
    assert action["tag"] == "display_notification"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = odoo_server.sql(
            "SELECT state FROM queue_job WHERE method_name = '_purge_expired' "
            "ORDER BY id DESC LIMIT 1"
        )
        if state in ("done", "failed"):
            break
        time.sleep(0.5)
    assert state == "done", odoo_server.log()[-3000:]
    assert (
        odoo_server.sql(
            "SELECT count(*) FROM mfg_integration_message_log WHERE correlation_id = 'e2e-old'"
        )
        == "0"
    )
