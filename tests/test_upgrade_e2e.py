"""An existing database upgrades to this code and keeps its data.

The database is built with the suite as it was released before the command
layer became an addon of its own (PREVIOUS_RELEASE, read from the
repository's history), filled as an integration that ran for a while, then
updated with this code as an administrator would (``-u`` of the installed
addons). What the REST addon owned then and the command addon owns now
changes owner instead of being dropped; the REST addon can then be
uninstalled without taking the command layer's data with it.
"""

import configparser
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from harness import odoo_shell

ROOT = Path(__file__).resolve().parent.parent
# the last release before mfg_integration_command was split out of mfg_integration_api
PREVIOUS_RELEASE = "a582427e1313cca24c1a615bd51b167471fb712d"
PREVIOUS_ADDONS = [
    "mfg_integration_core",
    "mfg_integration_governance",
    "mfg_integration_api",
    "mfg_integration_webhook",
    "mfg_integration_broker",
    "mfg_integration_exception",
    "mfg_integration_observability",
    "mfg_integration_mrp",
]

FILL = r"""
import json
system = env["mfg.integration.system"].create({"code": "MES-UP", "name": "MES upgrading",
                                              "warehouse_id": env.ref("stock.warehouse0").id})
product = env["product.product"].create({"name": "Upgraded gear"})
product_type = env.ref("mfg_integration_core.object_type_product")
xref = env["mfg.integration.xref"].create({
    "system_id": system.id, "object_type_id": product_type.id,
    "external_id": "GEAR-1", "res_id": product.id})
scopes = env["mfg.integration.scope"].search(
    [("code", "in", ["production:write", "production:read"])])
client = env["mfg.integration.client"].create(
    {"name": "MES upgrading", "system_id": system.id, "scope_ids": [(6, 0, scopes.ids)]})
client.with_context(mfg_client_lifecycle=True).write({"state": "approved"})
key = client.action_issue_key()["context"]["mfg_api_key_secret"]
batch = env["mfg.integration.api.request"].create({
    "client_id": client.id, "command_name": "inventory.movements", "route": "POST /x",
    "state": "partial", "item_count": 2, "done_count": 1, "failed_count": 1,
    "item_ids": [(0, 0, {"sequence": 0, "state": "done", "payload": "{}", "result": "{}"}),
                 (0, 0, {"sequence": 1, "state": "failed", "payload": "{}",
                         "problem": json.dumps({"detail": "unknown lot"})})]})
env.cr.execute(
    "INSERT INTO mfg_integration_idempotency (client_id, key, route, fingerprint, "
    "response_status, response_body, expires_at, company_id) "
    "VALUES (%s, 'kept-key', 'POST /x', 'f', 201, '{}', now() + interval '1 day', %s)",
    [client.id, client.company_id.id])
env["ir.config_parameter"].set_param("mfg_integration.api_max_batch_items", "321")
env.cr.commit()
print("RESULT" + json.dumps({
    "key": key, "client": client.id, "batch": batch.id, "system": system.id, "xref": xref.id,
    "scopes": sorted(scopes.mapped("code")),
}))
"""

CHECK = r"""
import json
from odoo.addons.mfg_integration_command.commands import ApiKeyIdentity, Invocation
made = json.loads('''%(made)s''')
Module = env["ir.module.module"]
IrModel = env["ir.model"]
def owners(model):
    record = IrModel._get(model)
    return sorted(env["ir.model.data"].search(
        [("model", "=", "ir.model"), ("res_id", "=", record.id)]).mapped("module"))
env.cr.execute(
    "SELECT m.name FROM ir_model_constraint c JOIN ir_module_module m ON m.id = c.module "
    "WHERE c.name = 'mfg_integration_idempotency_client_key_uniq'")
constraint_owners = sorted(row[0] for row in env.cr.fetchall())
batch = env["mfg.integration.api.request"].browse(made["batch"])
client = env["mfg.integration.client"].browse(made["client"])
def owner(xmlid_record):
    return sorted(env["ir.model.data"].search(
        [("model", "=", xmlid_record._name), ("res_id", "=", xmlid_record.id)]).mapped("module"))
xref = env["mfg.integration.xref"].browse(made["xref"])
system = env["mfg.integration.system"].browse(made["system"])
moved = {
    "xref_type": [xref.object_type_id.code, owner(xref.object_type_id)],
    "types": env["mfg.integration.object.type"].search_count([("code", "=", "product")]),
    "scope_owners": sorted({m for s in client.scope_ids for m in owner(s)}),
    "scopes_named": env["mfg.integration.scope"].search_count([("code", "=", "production:write")]),
    "plant": system.warehouse_id == env.ref("stock.warehouse0"),
    "resolved": env["mfg.integration.mapping"].resolve_record(system, "product", "GEAR-1").id
    == xref.res_id,
}
Command = env["mfg.integration.command"]
outcome = Command._execute(Invocation(
    command=Command._command("request.get"),
    identity=ApiKeyIdentity(key=made["key"], remote_addr="127.0.0.1"),
    params={"id": str(made["batch"])}, channel="upgrade check", transport="rest"))
channels = env["queue.job.channel"].search([("name", "=", "mfg_integration_api")])
access = env["ir.model.access"].search([("model_id.model", "=", "mfg.integration.idempotency")])
env.cr.execute("SELECT count(*) FROM mfg_integration_idempotency WHERE key = 'kept-key'")
idempotency_rows = env.cr.fetchone()[0]
print("RESULT" + json.dumps({
    "moved": moved,
    "installed": sorted(Module.search([("state", "=", "installed"),
                                       ("name", "like", "mfg_integration_%%")]).mapped("name")),
    "request_owners": owners("mfg.integration.api.request"),
    "idempotency_owners": owners("mfg.integration.idempotency"),
    "constraint_owners": constraint_owners,
    "batch": [batch.state, len(batch.item_ids), sorted(batch.item_ids.mapped("state"))],
    "idempotency_rows": idempotency_rows,
    "scopes": sorted(client.scope_ids.mapped("code")),
    "outcome": [outcome.status, outcome.body.get("id"), outcome.body.get("failed")],
    "channels": [channels.mapped("complete_name"),
                 env["queue.job.function"].search_count([("channel_id", "in", channels.ids)])],
    "access": sorted(access.mapped("name")),
    "batch_limit": env["mfg.integration.settings"]._get("api_max_batch_items", 0),
    "settings_view": bool(env.ref(
        "mfg_integration_command.res_config_settings_view_form", raise_if_not_found=False)),
}))
"""

UNINSTALL_REST = r"""
import json
Module = env["ir.module.module"]
Module.search([("name", "=", "mfg_integration_api")]).button_immediate_uninstall()
env.cr.execute("SELECT count(*) FROM mfg_integration_idempotency WHERE key = 'kept-key'")
rows = env.cr.fetchone()[0]
env.cr.execute("SELECT count(*) FROM pg_constraint "
               "WHERE conname = 'mfg_integration_idempotency_client_key_uniq'")
constraint = env.cr.fetchone()[0]
print("RESULT" + json.dumps({
    "rest": Module.search([("name", "=", "mfg_integration_api")]).state,
    "command": Module.search([("name", "=", "mfg_integration_command")]).state,
    "idempotency_rows": rows,
    "constraint": constraint,
    "batches": env["mfg.integration.api.request"].search_count([]),
}))
"""


def _result(printed):
    return json.loads(printed.split("RESULT", 1)[1].splitlines()[0])


def _conf(base_conf, addons_dir, path):
    """The end-to-end configuration with another suite folder, no server-wide addon."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(base_conf)
    paths = config["options"]["addons_path"].split(",")
    paths[0] = str(addons_dir)
    config["options"]["addons_path"] = ",".join(paths)
    config["options"]["server_wide_modules"] = "base,web"
    config["options"]["workers"] = "0"
    with open(path, "w") as handle:
        config.write(handle)
    return str(path)


def _odoo(odoo_src, conf, db, *args):
    done = subprocess.run(
        [sys.executable, os.path.join(odoo_src, "odoo-bin"), "-c", conf, "-d", db,
         "--stop-after-init", "--log-level=warn", *args],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, f"odoo-bin {' '.join(args)} failed:\n{done.stderr[-4000:]}"
    # a failed data file or hook is logged, not always fatal
    assert " ERROR " not in done.stderr, done.stderr[-4000:]


def test_a_database_of_the_previous_release_upgrades_and_keeps_its_data(tmp_path):
    odoo_src = os.environ.get("MFG_ODOO_SRC")
    base_conf = os.environ.get("MFG_E2E_CONF")
    db = os.environ.get("MFG_UPGRADE_DB")
    if not (odoo_src and base_conf and db):
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", PREVIOUS_RELEASE, "addons"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tmp_path / "previous", filter="data")
    old_conf = _conf(base_conf, tmp_path / "previous" / "addons", tmp_path / "previous.conf")
    new_conf = _conf(base_conf, ROOT / "addons", tmp_path / "current.conf")

    subprocess.run(["dropdb", "--if-exists", db], check=True)
    _odoo(odoo_src, old_conf, db, "-i", ",".join(PREVIOUS_ADDONS), "--without-demo=all")
    made = _result(odoo_shell(odoo_src, old_conf, db, FILL))

    _odoo(odoo_src, new_conf, db, "-u", ",".join(PREVIOUS_ADDONS))
    out = _result(odoo_shell(odoo_src, new_conf, db, CHECK % {"made": json.dumps(made)}))
    assert out["installed"] == sorted(PREVIOUS_ADDONS + ["mfg_integration_command"])
    # the command layer's models changed owner; nothing was created twice
    assert out["request_owners"] == ["mfg_integration_command"]
    assert out["idempotency_owners"] == ["mfg_integration_command"]
    assert out["constraint_owners"] == ["mfg_integration_command"]
    assert out["access"] == ["idempotency manager"]
    assert out["channels"] == [["root.mfg_integration_api"], 1]
    assert out["settings_view"] is True
    # the manufacturing object types, scopes and the plant field changed owner, kept
    assert out["moved"] == {
        "xref_type": ["product", ["mfg_integration_mrp"]],
        "types": 1,
        "scope_owners": ["mfg_integration_mrp"],
        "scopes_named": 1,
        "plant": True,
        "resolved": True,
    }
    # the data is there, and works
    assert out["batch"] == ["partial", 2, ["done", "failed"]]
    assert out["idempotency_rows"] == 1
    assert out["scopes"] == made["scopes"]
    assert out["batch_limit"] == 321
    assert out["outcome"] == [200, made["batch"], 1]

    gone = _result(odoo_shell(odoo_src, new_conf, db, UNINSTALL_REST))
    assert (gone["rest"], gone["command"]) == ("uninstalled", "installed")
    assert gone["idempotency_rows"] == 1 and gone["constraint"] == 1
    assert gone["batches"] == 1
