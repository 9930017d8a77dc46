"""Bills of materials: a PLM releases revisions of an item's BoM."""

from odoo import _, api, fields, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest
from odoo.addons.mfg_integration_command.problems import CommandProblem

from ..schemas import (
    CHANGE_NUMBER,
    CODE,
    DATE,
    EXTERNAL_ID,
    NAME,
    NULLABLE_STRING,
    POSITIVE_QUANTITY,
    REVISION,
    TEXT,
    answer,
)
from .common import cycle_problem, revision_key, stale_revision, wait_for_writers_of

BOM_REVISION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["parent", "revision", "quantity", "unit", "lines"],
    "properties": {
        "parent": {**EXTERNAL_ID, "description": "Your part number of the item it makes."},
        "revision": REVISION,
        "effective_date": {
            **DATE,
            "description": "From this day the revision is the active BoM (default: today). "
            "Until then the applied one stays active.",
        },
        "quantity": POSITIVE_QUANTITY,
        "unit": {**CODE, "description": "Your unit code (value map 'uom')."},
        "change_number": CHANGE_NUMBER,
        "change_reason": TEXT,
        "operations": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "workcenter", "duration_minutes"],
                "properties": {
                    "code": {**CODE, "description": "Its code in this revision (lines name it)."},
                    "name": NAME,
                    "workcenter": {
                        **EXTERNAL_ID,
                        "description": "Your work center code (cross-reference 'workcenter').",
                    },
                    "duration_minutes": {"type": "number", "minimum": 0, "maximum": 1e6},
                    "sequence": {"type": "integer", "minimum": 0, "maximum": 100000},
                },
            },
        },
        "lines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["component", "quantity"],
                "properties": {
                    "component": {**EXTERNAL_ID, "description": "Your part number of it."},
                    "quantity": POSITIVE_QUANTITY,
                    "unit": {**CODE, "description": "Default: the component's unit."},
                    "operation": {**CODE, "description": "The code of the operation using it."},
                },
            },
        },
    },
}

BOM_RESULT = answer(
    {
        "parent": {"type": "string"},
        "revision": {"type": "string"},
        "previous_revision": NULLABLE_STRING,
        "reference": {"type": "string"},
        "status": {"enum": ["scheduled", "released", "superseded"]},
        "effective_date": {"type": "string"},
        "changed": {"type": "boolean"},
    },
    ["parent", "revision", "previous_revision", "reference", "status", "effective_date", "changed"],
)

HANDLERS = "mfg.integration.masterdata.inbound"

COMMANDS = [
    Command(
        name="bom.release",
        handler=f"{HANDLERS}:_command_release_bom",
        rest=Rest("POST", "/masterdata/boms", operation="release_bom", tag="Master data"),
        scope="masterdata:write",
        summary="Release a revision of an item's bill of materials, active from its effective date",
        request_schema=BOM_REVISION,
        response_schema=BOM_RESULT,
        latency_class="near-real-time",
        example={
            "parent": "PN-1000",
            "revision": "C",
            "effective_date": "2026-12-01",
            "quantity": 1,
            "unit": "EA",
            "change_number": "ECN-2026-031",
            "change_reason": "Stronger bolts",
            "operations": [
                {
                    "code": "OP10",
                    "name": "Assemble",
                    "workcenter": "WC-ASSY",
                    "duration_minutes": 12,
                }
            ],
            "lines": [
                {"component": "PN-2000", "quantity": 1, "unit": "EA", "operation": "OP10"},
                {"component": "PN-3000", "quantity": 4, "unit": "EA", "operation": "OP10"},
            ],
        },
    ),
]


class MfgIntegrationMasterdataInbound(models.AbstractModel):
    _inherit = "mfg.integration.masterdata.inbound"

    @api.model
    def _command_release_bom(self, ctx, body):
        return self._release_bom(ctx, body)

    def _release_bom(self, ctx, body, at=""):
        system = ctx._system_required()
        # revisions of one item are applied in turn: the later sees the earlier
        wait_for_writers_of(self.env, "masterdata.bom", system, body["parent"])
        parent = ctx.resolve("product", body["parent"], f"{at}/parent")
        template = parent.product_tmpl_id
        Bom = self.env["mrp.bom"]
        revisions = Bom._mfg_revisions(template, system)
        same = revisions.filtered(lambda bom: bom.mfg_revision == body["revision"])
        if same:
            return self._bom_result(body, same, None, changed=False)
        latest = max(revisions, key=lambda bom: revision_key(bom.mfg_revision), default=None)
        if latest and revision_key(body["revision"]) < revision_key(latest.mfg_revision):
            raise stale_revision(
                f"Revision {body['revision']} of the BoM of {body['parent']} is older than "
                f"revision {latest.mfg_revision}, which Odoo applied already.",
                f"{at}/revision",
                latest.mfg_revision,
            )
        quantity, uom = self._quantity_in(ctx, parent, body["quantity"], body["unit"], f"{at}/unit")
        operations = self._bom_operations(ctx, body.get("operations", []), at)
        lines = self._bom_lines(ctx, body["lines"], operations, at)
        self._check_bom_cycle(parent, [(line["product"], line["pointer"]) for line in lines])
        effective = fields.Date.to_date(body.get("effective_date")) or fields.Date.context_today(
            self
        )
        bom = Bom._mfg_create_revision(
            template,
            system,
            {
                "product_qty": quantity,
                "product_uom_id": uom.id,
                "code": f"{body['parent']} rev {body['revision']}",
                "mfg_revision": body["revision"],
                "mfg_effective_date": effective,
                "mfg_change_number": body.get("change_number"),
                "mfg_change_reason": body.get("change_reason"),
            },
            [values for values, _pointer in operations.values()],
            [
                {
                    "product_id": line["product"].id,
                    "product_qty": line["quantity"],
                    "product_uom_id": line["uom"].id,
                    "operation": line["operation"],
                }
                for line in lines
            ],
        )
        ctx.register("bom", f"{body['parent']}/{body['revision']}", bom)
        previous = latest.mfg_revision if latest else None
        if effective <= fields.Date.context_today(self):
            bom._mfg_release()
        return self._bom_result(body, bom, previous, changed=True)

    def _bom_result(self, body, bom, previous, changed):
        return CommandResult(
            {
                "parent": body["parent"],
                "revision": bom.mfg_revision,
                "previous_revision": previous,
                "reference": bom.display_name,
                "status": bom.mfg_release_state,
                "effective_date": fields.Date.to_string(bom.mfg_effective_date),
                "changed": changed,
            },
            bom,
        )

    def _bom_operations(self, ctx, operations, at):
        """{code: (routing values, pointer)} of a revision's operations."""
        found = {}
        for index, operation in enumerate(operations):
            pointer = f"{at}/operations/{index}"
            if operation["code"] in found:
                raise CommandProblem(
                    "validation-error",
                    f"Operation code '{operation['code']}' is used twice.",
                    errors=[{"pointer": f"{pointer}/code", "detail": "duplicate operation code"}],
                )
            workcenter = ctx.resolve("workcenter", operation["workcenter"], f"{pointer}/workcenter")
            found[operation["code"]] = (
                {
                    "name": operation.get("name") or operation["code"],
                    "workcenter_id": workcenter.id,
                    "time_mode": "manual",
                    "time_cycle_manual": operation["duration_minutes"],
                    "sequence": operation.get("sequence", (index + 1) * 10),
                },
                pointer,
            )
        return found

    def _bom_lines(self, ctx, lines, operations, at):
        result = []
        for index, line in enumerate(lines):
            pointer = f"{at}/lines/{index}"
            component = ctx.resolve("product", line["component"], f"{pointer}/component")
            quantity, uom = self._quantity_in(
                ctx, component, line["quantity"], line.get("unit"), f"{pointer}/unit"
            )
            operation = line.get("operation")
            if operation and operation not in operations:
                raise CommandProblem(
                    "validation-error",
                    f"Line {index} names operation '{operation}', which this revision lacks.",
                    errors=[{"pointer": f"{pointer}/operation", "detail": "unknown operation"}],
                )
            result.append(
                {
                    "product": component,
                    "quantity": quantity,
                    "uom": uom,
                    "operation": list(operations).index(operation) if operation else None,
                    "pointer": f"{pointer}/component",
                }
            )
        return result

    def _check_bom_cycle(self, parent, components):
        """Refuse a component that is the parent, or contains it through the
        active BoMs of its own components."""
        for component, pointer in components:
            path = self._path_to(component, parent.product_tmpl_id, [parent, component], set())
            if path:
                raise cycle_problem(
                    _(
                        "%(parent)s would contain itself: %(path)s.",
                        parent=parent.display_name,
                        path=" → ".join(product.display_name for product in path),
                    ),
                    pointer,
                )

    def _path_to(self, product, target, path, seen):
        """The products from the parent down to target through active BoMs, or None."""
        if product.product_tmpl_id == target:
            return path
        if product.id in seen:
            return None
        seen.add(product.id)
        bom = self.env["mrp.bom"]._bom_find(product, bom_type="normal")[product]
        for component in bom.bom_line_ids.product_id:
            found = self._path_to(component, target, [*path, component], seen)
            if found:
                return found
        return None
