"""Large loads: items, BoM revisions, work centers and supplier terms sent
together, accepted at once (202) and applied one by one by a queue job, in
the order sent (an item created by an earlier record is there for a later
BoM). Each record is validated on its own: one bad record fails alone."""

from odoo import api, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest
from odoo.addons.mfg_integration_command.problems import CommandProblem
from odoo.addons.mfg_integration_core.json_schema import schema_errors

from .boms import BOM_REVISION
from .items import ITEM
from .supplier_terms import SUPPLIER_TERMS
from .workcenters import WORK_CENTER

# kind: (its schema, its handler, the scope it needs beside the load's)
LOAD_KINDS = {
    "workcenter": (WORK_CENTER, "_upsert_workcenter", None),
    "item": (ITEM, "_upsert_item", None),
    "bom": (BOM_REVISION, "_release_bom", None),
    "supplier_terms": (SUPPLIER_TERMS, "_upsert_supplier_terms", "supplier_terms:write"),
}

LOAD = {
    "type": "object",
    "additionalProperties": False,
    "required": ["records"],
    "properties": {
        "records": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["kind", "data"],
                "properties": {
                    "kind": {"enum": list(LOAD_KINDS)},
                    "data": {
                        "type": "object",
                        "description": "The body of the kind's own command (item.upsert, "
                        "bom.release, workcenter.upsert, supplier_terms.upsert), checked "
                        "against its schema when the record is applied.",
                    },
                },
            },
        },
    },
}

HANDLERS = "mfg.integration.masterdata.inbound"

COMMANDS = [
    Command(
        name="masterdata.load",
        handler=f"{HANDLERS}:_command_load_record",
        rest=Rest("POST", "/masterdata/loads", operation="load_masterdata", tag="Master data"),
        scope="masterdata:write",
        summary="A large load of master data, applied asynchronously record by record",
        request_schema=LOAD,
        mode="async",
        batch_key="records",
        latency_class="batch",
        max_items_setting="masterdata_max_load_records",
        example={
            "records": [
                {
                    "kind": "item",
                    "data": {
                        "part_number": "PN-2000",
                        "revision": "A",
                        "name": "Housing",
                        "unit": "EA",
                    },
                },
                {
                    "kind": "bom",
                    "data": {
                        "parent": "PN-1000",
                        "revision": "A",
                        "quantity": 1,
                        "unit": "EA",
                        "lines": [{"component": "PN-2000", "quantity": 1}],
                    },
                },
            ]
        },
    ),
]


class MfgIntegrationMasterdataInbound(models.AbstractModel):
    _inherit = "mfg.integration.masterdata.inbound"

    @api.model
    def _command_load_record(self, ctx, record, index):
        """One record of a load (the batch runner calls it per record)."""
        kind = record["kind"]
        schema, method, scope = LOAD_KINDS[kind]
        at = f"/records/{index}/data"
        if scope and scope not in ctx.client.sudo().scope_ids.mapped("code"):
            raise CommandProblem(
                "forbidden", f"Record {index} is {kind}, which needs the scope {scope}."
            )
        errors = schema_errors(schema, record["data"])
        if errors:
            raise CommandProblem(
                "validation-error",
                f"Record {index} ({kind}) does not match its schema: {len(errors)} error(s).",
                errors=[
                    {**error, "pointer": at + error["pointer"].rstrip("/")} for error in errors
                ],
            )
        result = getattr(self, method)(ctx, record["data"], at=at)
        return CommandResult({"index": index, "kind": kind, **result.data}, result.record)
