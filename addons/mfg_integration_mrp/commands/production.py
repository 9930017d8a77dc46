"""Production orders: created by planning, read back, confirmed by the MES."""

import base64
from datetime import datetime

from odoo import _, api, fields, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest
from odoo.addons.mfg_integration_command.context import parse_timestamp
from odoo.addons.mfg_integration_command.problems import CommandProblem

from ..schemas import (
    CODE,
    EXTERNAL_ID,
    LOT_QUANTITY,
    NULLABLE_STRING,
    POSITIVE_QUANTITY,
    QUANTITY,
    TIMESTAMP,
    answer,
)
from .common import business_error

CREATE_PRODUCTION_ORDER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "product", "quantity", "unit"],
    "properties": {
        "id": {**EXTERNAL_ID, "description": "Your id of the order."},
        "product": {**EXTERNAL_ID, "description": "Your product id (cross-reference 'product')."},
        "quantity": POSITIVE_QUANTITY,
        "unit": {**CODE, "description": "Your unit code (value map 'uom')."},
        "due_date": TIMESTAMP,
        "bill_of_materials": {**CODE, "description": "Odoo BoM reference code, optional."},
        "origin": {"type": "string", "maxLength": 256},
        "source_timestamp": TIMESTAMP,
    },
}

# v2: `quantity` is named `planned_quantity`, as production orders answer it,
# and an urgent order can say so
CREATE_PRODUCTION_ORDER_V2 = {
    **CREATE_PRODUCTION_ORDER,
    "required": ["id", "product", "planned_quantity", "unit"],
    "properties": {
        **{
            name: schema
            for name, schema in CREATE_PRODUCTION_ORDER["properties"].items()
            if name != "quantity"
        },
        "planned_quantity": POSITIVE_QUANTITY,
        "priority": {
            "enum": ["normal", "urgent"],
            "description": "Urgent orders come first in Odoo's planning (default normal).",
        },
    },
}


def _create_production_order_v1(payload):
    """A v2 creation as the v1 handler reads it (which also reads `priority`)."""
    upgraded = {name: value for name, value in payload.items() if name != "planned_quantity"}
    return {**upgraded, "quantity": payload["planned_quantity"]}


WORK_ORDER_SUMMARY = answer(
    {
        "id": {**NULLABLE_STRING, "description": "Your id, where one is cross-referenced."},
        "reference": {"type": "string"},
        "work_center": NULLABLE_STRING,
        "status": {"type": "string"},
        "duration_minutes": {"type": "number"},
    },
    ["id", "reference", "status"],
)

PRODUCTION_ORDER_PROPERTIES = {
    "id": NULLABLE_STRING,
    "reference": {"type": "string"},
    "status": {"type": "string"},
    "odoo_state": {"type": "string"},
    "product": NULLABLE_STRING,
    "planned_quantity": {"type": "number"},
    "produced_quantity": {"type": "number"},
    "scrapped_quantity": {"type": "number"},
    "unit": NULLABLE_STRING,
    "due_date": {**NULLABLE_STRING, "description": "UTC, null when the order has none."},
    "updated_at": {"type": "string"},
    "work_orders": {"type": "array", "items": WORK_ORDER_SUMMARY},
}
PRODUCTION_ORDER_REQUIRED = ["id", "reference", "status", "planned_quantity", "produced_quantity"]
PRODUCTION_ORDER = answer(PRODUCTION_ORDER_PROPERTIES, PRODUCTION_ORDER_REQUIRED)

CONFIRMED_PRODUCTION_ORDER = answer(
    {
        **PRODUCTION_ORDER_PROPERTIES,
        "variance": {
            "description": "Recorded on the final confirmation when beyond tolerance.",
            "oneOf": [
                {"type": "null"},
                answer(
                    {"quantity": {"type": "number"}, "percent": {"type": "number"}},
                    ["quantity", "percent"],
                ),
            ],
        },
    },
    PRODUCTION_ORDER_REQUIRED + ["variance"],
)

LIST_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "updated_since": TIMESTAMP,
        "cursor": {"type": "string", "maxLength": 200},
        "limit": {"type": "string", "pattern": "^[1-9][0-9]{0,2}$"},
    },
}

PRODUCTION_CONFIRMATION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["produced_quantity"],
    "properties": {
        "produced_quantity": QUANTITY,
        "scrapped_quantity": QUANTITY,
        "scrap_reason": CODE,
        "final": {"type": "boolean", "default": False},
        "lot": {**EXTERNAL_ID, "description": "Finished lot or serial."},
        "consumed": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["product", "quantity"],
                "properties": {
                    "product": EXTERNAL_ID,
                    "quantity": QUANTITY,
                    "unit": CODE,
                    "lots": {"type": "array", "items": LOT_QUANTITY},
                },
            },
        },
        "work_center": EXTERNAL_ID,
        "operator": {"type": "string", "maxLength": 128},
        "started_at": TIMESTAMP,
        "finished_at": TIMESTAMP,
        "source_timestamp": TIMESTAMP,
    },
}

# v2: `produced_quantity` is named `good_quantity` (scrap is apart), and the
# shift that produced it is noted with the operator
PRODUCTION_CONFIRMATION_V2 = {
    **PRODUCTION_CONFIRMATION,
    "required": ["good_quantity"],
    "properties": {
        **{
            name: schema
            for name, schema in PRODUCTION_CONFIRMATION["properties"].items()
            if name != "produced_quantity"
        },
        "good_quantity": QUANTITY,
        "shift": {**CODE, "description": "The shift that produced it, noted on the order."},
    },
}


def _production_confirmation_v1(payload):
    """A v2 confirmation as the v1 handler reads it (which also reads `shift`)."""
    upgraded = {name: value for name, value in payload.items() if name != "good_quantity"}
    return {**upgraded, "produced_quantity": payload["good_quantity"]}


PRODUCTION_ORDER_PAGE = answer(
    {
        "items": {"type": "array", "items": PRODUCTION_ORDER},
        "next_cursor": {**NULLABLE_STRING, "description": "Send it as `cursor` for the next page."},
    },
    ["items", "next_cursor"],
)

HANDLERS = "mfg.integration.mrp.inbound"


COMMANDS = [
    Command(
        name="production_order.create",
        handler=f"{HANDLERS}:_command_create_production_order",
        rest=Rest(
            "POST", "/production-orders", operation="create_production_order", tag="Production"
        ),
        scope="production:write",
        summary="Create and confirm a manufacturing order from a planning system",
        request_schema=CREATE_PRODUCTION_ORDER,
        response_schema=PRODUCTION_ORDER,
        outcome="created",
        latency_class="near-real-time",
        example={
            "id": "PLN-4711",
            "product": "FG-100",
            "quantity": 20,
            "unit": "EA",
            "due_date": "2026-12-01T06:00:00Z",
            "origin": "Weekly plan 48",
        },
    ),
    Command(
        name="production_order.list",
        handler=f"{HANDLERS}:_command_list_production_orders",
        rest=Rest(
            "GET", "/production-orders", operation="list_production_orders", tag="Production"
        ),
        scope="production:read",
        summary="Production orders changed since a time, page by page (cursor)",
        query_schema=LIST_QUERY,
        response_schema=PRODUCTION_ORDER_PAGE,
        writes=False,
        latency_class="batch",
    ),
    Command(
        name="production_order.get",
        handler=f"{HANDLERS}:_command_get_production_order",
        subject="id",
        rest=Rest(
            "GET", "/production-orders/{id}", operation="get_production_order", tag="Production"
        ),
        scope="production:read",
        summary="A production order in your identifiers and status codes",
        response_schema=PRODUCTION_ORDER,
        writes=False,
    ),
    Command(
        name="production_order.confirm",
        handler=f"{HANDLERS}:_command_confirm_production",
        subject="id",
        rest=Rest(
            "POST",
            "/production-orders/{id}/confirmations",
            operation="confirm_production",
            tag="Production",
        ),
        scope="production:write",
        summary="MES production confirmation, partial or final",
        request_schema=PRODUCTION_CONFIRMATION,
        response_schema=CONFIRMED_PRODUCTION_ORDER,
        example={
            "produced_quantity": 20,
            "scrapped_quantity": 1,
            "scrap_reason": "SCR-01",
            "final": True,
            "lot": "LOT-2026-0042",
            "work_center": "WC-ASSY",
            "operator": "J. Doe",
            "source_timestamp": "2026-11-26T10:00:00Z",
        },
    ),
    Command(
        name="production_order.create",
        version=2,
        handler=f"{HANDLERS}:_command_create_production_order",
        upgrade=_create_production_order_v1,
        rest=Rest(
            "POST",
            "/production-orders",
            operation="create_production_order_v2",
            tag="Production",
            api=2,
        ),
        scope="production:write",
        summary="Create and confirm a manufacturing order from a planning system "
        "(v2: planned_quantity, priority)",
        request_schema=CREATE_PRODUCTION_ORDER_V2,
        response_schema=PRODUCTION_ORDER,
        outcome="created",
        latency_class="near-real-time",
        example={
            "id": "PLN-4712",
            "product": "FG-100",
            "planned_quantity": 20,
            "unit": "EA",
            "priority": "urgent",
            "due_date": "2026-12-01T06:00:00Z",
        },
    ),
    Command(
        name="production_order.confirm",
        version=2,
        handler=f"{HANDLERS}:_command_confirm_production",
        upgrade=_production_confirmation_v1,
        subject="id",
        rest=Rest(
            "POST",
            "/production-orders/{id}/confirmations",
            operation="confirm_production_v2",
            tag="Production",
            api=2,
        ),
        scope="production:write",
        summary="MES production confirmation, partial or final (v2: good_quantity, shift)",
        request_schema=PRODUCTION_CONFIRMATION_V2,
        response_schema=CONFIRMED_PRODUCTION_ORDER,
        example={
            "good_quantity": 20,
            "scrapped_quantity": 1,
            "scrap_reason": "SCR-01",
            "final": True,
            "lot": "LOT-2026-0042",
            "shift": "B",
            "source_timestamp": "2026-11-26T10:00:00Z",
        },
    ),
]


class MfgIntegrationMrpInbound(models.AbstractModel):
    _inherit = "mfg.integration.mrp.inbound"

    def _production_to_api(self, ctx, production):
        uom_code = ctx.map_out("uom", production.product_uom_id) if ctx.system else None
        return {
            "id": ctx.external_id(production, "production"),
            "reference": production.name,
            "status": ctx.map_out("mrp.production.state", production.state)
            if ctx.system
            else production.state,
            "odoo_state": production.state,
            "product": ctx.external_id(production.product_id, "product"),
            "planned_quantity": production.product_qty,
            "produced_quantity": production.qty_produced
            if production.state == "done"
            else production.qty_producing,
            "scrapped_quantity": production.mfg_scrapped_qty,
            "unit": uom_code or production.product_uom_id.name,
            "due_date": fields.Datetime.to_string(production.date_deadline)
            if production.date_deadline
            else None,
            "updated_at": fields.Datetime.to_string(production.write_date),
            "work_orders": [
                {
                    "id": ctx.external_id(workorder, "workorder"),
                    "reference": workorder.display_name,
                    "work_center": ctx.external_id(workorder.workcenter_id, "workcenter")
                    or workorder.workcenter_id.name,
                    "status": workorder.state,
                    "duration_minutes": round(workorder.duration, 2),
                }
                for workorder in production.workorder_ids
            ],
        }

    @api.model
    def _command_create_production_order(self, ctx, body):
        existing = ctx.mapping.resolve_record(
            ctx._system_required(), "production", body["id"], raise_if_missing=False
        )
        if existing:
            raise CommandProblem(
                "conflict",
                f"Production order '{body['id']}' already exists as {existing.name}.",
                reference=existing.name,
            )
        product = ctx.resolve("product", body["product"], "/product")
        quantity, uom = self._quantity_in(ctx, product, body["quantity"], body["unit"], "/unit")
        bom = self.env["mrp.bom"]
        if body.get("bill_of_materials"):
            bom = bom.search(
                [
                    ("code", "=", body["bill_of_materials"]),
                    ("product_tmpl_id", "=", product.product_tmpl_id.id),
                ],
                limit=1,
            )
            if not bom:
                raise business_error(
                    f"{product.display_name} has no bill of materials "
                    f"'{body['bill_of_materials']}'.",
                    "/bill_of_materials",
                )
        else:
            bom = bom._bom_find(product, company_id=self.env.company.id, bom_type="normal")[product]
        if not bom:
            raise business_error(f"{product.display_name} has no bill of materials.", "/product")
        values = {
            "product_id": product.id,
            "product_qty": quantity,
            "product_uom_id": uom.id,
            "bom_id": bom.id,
            "origin": body.get("origin") or f"{ctx.system.code}:{body['id']}",
            "company_id": self.env.company.id,
        }
        if body.get("due_date"):
            values["date_deadline"] = parse_timestamp(body["due_date"], "/due_date")
        if body.get("priority") == "urgent":  # v2 only
            values["priority"] = "1"
        production = self.env["mrp.production"].create(values)
        production.action_confirm()
        source = body.get("source_timestamp")
        ctx.register(
            "production",
            body["id"],
            production,
            parse_timestamp(source, "/source_timestamp") if source else None,
        )
        production.message_post(
            body=_("Created by %(system)s (order %(id)s).", system=ctx.system.code, id=body["id"])
        )
        return CommandResult(self._production_to_api(ctx, production), production)

    @api.model
    def _command_get_production_order(self, ctx, body, id):
        production = ctx.resolve_subject("production", id)
        return CommandResult(self._production_to_api(ctx, production), production)

    @api.model
    def _command_list_production_orders(self, ctx, body):
        query = ctx.query
        limit = int(query.get("limit") or 100)
        domain = []
        if query.get("updated_since"):
            domain.append(
                ("write_date", ">=", parse_timestamp(query["updated_since"], "/updated_since"))
            )
        if query.get("cursor"):
            try:
                stamp, last_id = (
                    base64.urlsafe_b64decode(query["cursor"].encode()).decode().split("|")
                )
                last_date = datetime.fromisoformat(stamp)
                last_id = int(last_id)
            except ValueError as error:
                raise CommandProblem(
                    "validation-error",
                    "The cursor is not one this API returned.",
                    errors=[{"pointer": "/cursor", "detail": "invalid cursor"}],
                ) from error
            domain += [
                "|",
                ("write_date", ">", last_date),
                "&",
                ("write_date", "=", last_date),
                ("id", ">", last_id),
            ]
        productions = self.env["mrp.production"].search(
            domain, order="write_date, id", limit=limit + 1
        )
        page = productions[:limit]
        next_cursor = None
        if len(productions) > limit:
            last = page[-1]
            next_cursor = base64.urlsafe_b64encode(
                f"{last.write_date.isoformat()}|{last.id}".encode()
            ).decode()
        return {
            "items": [self._production_to_api(ctx, production) for production in page],
            "next_cursor": next_cursor,
        }

    @api.model
    def _command_confirm_production(self, ctx, body, id):
        production = ctx.resolve_subject("production", id)
        ctx.check_stale("production", production, body.get("source_timestamp"))
        production._mfg_check_open()
        product = production.product_id
        produced = body["produced_quantity"]
        lot = None
        if body.get("lot"):
            lot = self._lot(ctx, product, body["lot"], "/lot", create=True)
        elif product.tracking != "none" and produced:
            raise business_error(f"{product.display_name} needs a lot or serial.", "/lot")
        scrapped = body.get("scrapped_quantity") or 0.0
        reason = body.get("scrap_reason")
        if scrapped and reason:
            reason = ctx.map_in("scrap.reason", reason, "/scrap_reason")
        production._mfg_record_confirmation(
            produced,
            finished_lot=lot,
            consumed=self._consumption(ctx, production, body.get("consumed") or []),
            scrapped_qty=scrapped,
            note=self._confirmation_note(ctx, production, body, reason),
        )
        variance = self.env["mfg.integration.production.variance"]
        if body.get("final"):
            variance = production._mfg_close(ctx.system, ctx.correlation_id)
        response = self._production_to_api(ctx, production)
        response["variance"] = (
            {"quantity": variance.variance_qty, "percent": round(variance.variance_pct, 2)}
            if variance
            else None
        )
        return CommandResult(response, production)

    def _confirmation_note(self, ctx, production, body, scrap_reason):
        notes = [
            _(
                "%(system)s confirmed %(qty)s %(uom)s",
                system=ctx.system.code,
                qty=body["produced_quantity"],
                uom=production.product_uom_id.name,
            ),
        ]
        if body.get("scrapped_quantity"):
            notes.append(
                _(
                    "scrapped %(qty)s (%(reason)s)",
                    qty=body["scrapped_quantity"],
                    reason=scrap_reason or _("no reason"),
                )
            )
        for key, label in (
            ("work_center", _("work center")),
            ("operator", _("operator")),
            ("shift", _("shift")),  # v2 only
            ("started_at", _("started")),
            ("finished_at", _("finished")),
        ):
            if body.get(key):
                notes.append(f"{label}: {body[key]}")
        return "; ".join(str(note) for note in notes)

    def _consumption(self, ctx, production, consumed):
        """[(component move, quantity in the move's unit, lots)] of the payload."""
        result = []
        for index, line in enumerate(consumed):
            pointer = f"/consumed/{index}"
            component = ctx.resolve("product", line["product"], f"{pointer}/product")
            moves = production.move_raw_ids.filtered(
                lambda move, component=component: move.product_id == component
                and move.state not in ("done", "cancel")
            )
            if not moves:
                raise business_error(
                    f"{component.display_name} is not a component of {production.name}.",
                    f"{pointer}/product",
                )
            move = moves[0]
            quantity, uom = self._quantity_in(
                ctx, component, line["quantity"], line.get("unit"), f"{pointer}/unit"
            )
            lots = self._lot_quantities(ctx, component, line.get("lots") or [], pointer)
            result.append((move, uom._compute_quantity(quantity, move.product_uom), lots))
        return result
