"""The exception app on a database with core, governance and the API only (no
manufacturing, no purchase, no webhooks), built by setup/test as <db>_minimal.

One Odoo shell runs a planner's day against it: a synchronous request refused
for an unmapped currency code (the API's source; the database has no units of
measure) and a failed background job of the suite (core's source) each open
an exception; the mapping is created from the exception, the job is retried
and runs again, and both resolve. The script rolls back: the database stays as
setup/test built it.
"""

import json
import os

import pytest
from harness import odoo_shell

SCRIPT = r"""
import json, traceback
from odoo.addons.mfg_integration_command.context import CommandContext, mapping_problem
from odoo.addons.mfg_integration_core.exceptions import MappingError
from odoo.addons.queue_job.job import Job

out = {}
out["installed"] = sorted(env["ir.module.module"].search([
    ("state", "=", "installed"), ("name", "like", "mfg_integration_%")]).mapped("name"))
out["other_apps"] = sorted(env["ir.module.module"].search([
    ("state", "=", "installed"), ("name", "in", ["mrp", "purchase", "purchase_stock"])
]).mapped("name"))
Exception_ = env["mfg.integration.exception"]
out["categories"] = [
    value for value, _label in Exception_._fields["category"]._description_selection(env)]

# the API's source: WMS-01 sends a currency code nobody mapped
wms = env["mfg.integration.system"].create({"code": "WMS-01", "name": "WMS"})
currency_map = env["mfg.integration.value.map"].create(
    {"system_id": wms.id, "domain": "currency", "target_model": "res.currency"})
client = env["mfg.integration.client"].create({"name": "WMS client", "system_id": wms.id})
Commands = env["mfg.integration.command"]
command = Commands._command("request.get")
ctx = CommandContext(env=env, client=client, system=wms, command=command,
                 correlation_id="corr-minimal-1", query={}, channel="GET /api/mfg/v1/requests/1")
def refuse():
    try:
        env["mfg.integration.mapping"].map_inbound_record(wms, "currency", "DOL")
    except MappingError as error:
        Commands._on_command_refused(ctx, mapping_problem(error))
        return
    raise AssertionError("DOL was mapped")
refuse()
refuse()
unmapped = Exception_.search([("category", "=", "unmapped_code")])
out["unmapped"] = unmapped.read(
    ["name", "state", "occurrence_count", "mapping_type", "mapping_kind", "mapping_value"])
wizard = env["mfg.integration.exception.mapping"].create({"exception_id": unmapped.id})
wizard.res_id = env.ref("base.USD").id
wizard.action_create_and_retry()
out["unmapped_after"] = unmapped.state
out["mapped_to"] = env["mfg.integration.mapping"].map_inbound_record(
    wms, "currency", "DOL").name

# core's source: a job of the suite fails, is retried from its exception, succeeds
Log = env["mfg.integration.message.log"]
Log.with_delay()._purge_expired()
stored = env["queue.job"].search([("model_name", "=", Log._name)])
job = Job.load(env, stored.uuid)
job.set_started()
job.set_failed(exc_name="OperationalError", exc_message="server closed the connection",
               exc_info="Traceback ...")
job.store()
failed = Exception_.search([("category", "=", "job_failed")])
out["job_exception"] = failed.read(["name", "state", "job_uuid"])
failed.action_retry()
out["job_after_retry"] = [failed.state, stored.state]
job = Job.load(env, stored.uuid)
job.set_started()
job.perform()
job.set_done()
job.store()
out["job_after_run"] = [failed.state, failed.message_ids[0].body]
print("RESULT" + json.dumps(out, default=str))
env.cr.rollback()
"""


def test_exception_app_without_source_addons():
    odoo_src = os.environ.get("MFG_ODOO_SRC")
    db = os.environ.get("MFG_MINIMAL_DB")
    conf = os.environ.get("MFG_E2E_CONF")
    if not (odoo_src and db and conf):
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    printed = odoo_shell(odoo_src, conf, db, SCRIPT)
    out = json.loads(printed.split("RESULT", 1)[1].splitlines()[0])
    assert out["installed"] == [
        "mfg_integration_broker",
        "mfg_integration_command",
        "mfg_integration_core",
        "mfg_integration_exception",
        "mfg_integration_governance",
    ]
    assert out["other_apps"] == []
    # the categories are those of the installed sources: core's, the commands' and the broker's
    assert {"other", "job_failed", "unmapped_code", "unknown_reference"} <= set(out["categories"])
    # core's outbox reports for every sink kind; no business addon is installed
    assert {"delivery_failed", "circuit_open"} <= set(out["categories"])
    assert "production_variance" not in out["categories"]
    [unmapped] = out["unmapped"]
    assert unmapped["name"] == (
        "WMS-01 sent currency code 'DOL', which has no mapping in value map 'currency'."
    )
    assert (unmapped["state"], unmapped["occurrence_count"]) == ("new", 2)
    assert [unmapped[f] for f in ("mapping_type", "mapping_kind", "mapping_value")] == [
        "code",
        "currency",
        "DOL",
    ]
    assert out["unmapped_after"] == "resolved"
    assert out["mapped_to"] == "USD"
    [job_exception] = out["job_exception"]
    assert "server closed the connection" in job_exception["name"]
    assert job_exception["state"] == "new"
    assert out["job_after_retry"] == ["waiting", "pending"]
    state, message = out["job_after_run"]
    assert state == "resolved"
    assert "The retry succeeded" in message
