"""Purchasing: supplier acknowledgements and receipts (advance shipping notices)."""

from odoo import _, api, models
from odoo.tools import float_compare

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest
from odoo.addons.mfg_integration_command.context import parse_timestamp
from odoo.addons.mfg_integration_command.problems import CommandProblem

from ..schemas import (
    CODE,
    EXTERNAL_ID,
    LOT_QUANTITY,
    NULLABLE_STRING,
    POSITIVE_QUANTITY,
    TIMESTAMP,
    answer,
)
from .common import business_error

RECEIPT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["purchase_order", "lines"],
    "properties": {
        "purchase_order": {**EXTERNAL_ID, "description": "Your id or the Odoo PO reference."},
        "reference": {"type": "string", "maxLength": 128, "description": "ASN / delivery note."},
        "done": {"type": "boolean", "default": True},
        "lines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["product", "quantity"],
                "properties": {
                    "product": EXTERNAL_ID,
                    "quantity": POSITIVE_QUANTITY,
                    "unit": CODE,
                    "lots": {"type": "array", "items": LOT_QUANTITY},
                },
            },
        },
    },
}

PURCHASE_CONFIRMATION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status"],
    "properties": {
        "status": {"enum": ["accepted", "rejected", "changed"]},
        "supplier_reference": {"type": "string", "maxLength": 128},
        "reason": {"type": "string", "maxLength": 1000},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["product"],
                "properties": {
                    "product": EXTERNAL_ID,
                    "quantity": POSITIVE_QUANTITY,
                    "date": TIMESTAMP,
                },
            },
        },
        "source_timestamp": TIMESTAMP,
    },
}

RECEIPT_RESULT = answer(
    {
        "purchase_order": {"type": "string"},
        "reference": {"type": "string"},
        "receipt": {"type": "string"},
        "status": {"type": "string"},
        "backorder": NULLABLE_STRING,
    },
    ["purchase_order", "reference", "receipt", "status", "backorder"],
)

PURCHASE_CONFIRMATION_RESULT = answer(
    {
        "id": {"type": "string"},
        "reference": {"type": "string"},
        "status": {"type": "string"},
        "acknowledged": {"enum": ["accepted", "rejected", "changed"]},
    },
    ["id", "reference", "status", "acknowledged"],
)

HANDLERS = "mfg.integration.mrp.inbound"


COMMANDS = [
    Command(
        name="receipt.create",
        handler=f"{HANDLERS}:_command_receipt",
        rest=Rest("POST", "/receipts", operation="receipt", tag="Purchasing"),
        scope="purchase:write",
        summary="Supplier advance shipping notice or receipt against a purchase order",
        request_schema=RECEIPT,
        response_schema=RECEIPT_RESULT,
        latency_class="near-real-time",
        example={
            "purchase_order": "P00012",
            "reference": "ASN-991",
            "done": True,
            "lines": [{"product": "CMP-7", "quantity": 100, "unit": "EA"}],
        },
    ),
    Command(
        name="purchase_order.confirm",
        handler=f"{HANDLERS}:_command_purchase_confirmation",
        subject="id",
        rest=Rest(
            "POST",
            "/purchase-orders/{id}/confirmations",
            operation="purchase_confirmation",
            tag="Purchasing",
        ),
        scope="purchase:write",
        summary="Supplier acknowledgement: accepted, rejected or changed",
        request_schema=PURCHASE_CONFIRMATION,
        response_schema=PURCHASE_CONFIRMATION_RESULT,
        example={
            "status": "changed",
            "supplier_reference": "SO-5531",
            "lines": [{"product": "CMP-7", "date": "2026-12-03T08:00:00Z"}],
        },
    ),
]


class MfgIntegrationMrpInbound(models.AbstractModel):
    _inherit = "mfg.integration.mrp.inbound"

    def _purchase_order(self, ctx, identifier):
        return self._record_by_id_or_name(ctx, "purchase", "purchase.order", identifier)

    @api.model
    def _command_receipt(self, ctx, body):
        order = self._purchase_order(ctx, body["purchase_order"])
        picking = order._mfg_waiting_receipt()
        if not picking:
            raise CommandProblem("conflict", f"{order.name} has no receipt waiting.")
        for index, line in enumerate(body["lines"]):
            pointer = f"/lines/{index}"
            product = ctx.resolve("product", line["product"], f"{pointer}/product")
            move = self._product_move(
                ctx, picking.move_ids, product, order.name, f"{pointer}/product"
            )
            quantity, uom = self._quantity_in(
                ctx, product, line["quantity"], line.get("unit"), f"{pointer}/unit"
            )
            lots = line.get("lots") or []
            if product.tracking != "none" and not lots:
                raise business_error(f"{product.display_name} needs lots.", f"{pointer}/lots")
            total = sum(lot_line["quantity"] for lot_line in lots)
            if lots and float_compare(
                total, line["quantity"], precision_rounding=move.product_uom.rounding
            ):
                raise business_error(
                    f"The lots add up to {total}, not {line['quantity']}.", f"{pointer}/lots"
                )
            move._mfg_report_quantity(
                uom._compute_quantity(quantity, move.product_uom),
                self._lot_quantities(ctx, product, lots, pointer, create=True),
                replace=True,
            )
        if body.get("reference"):
            picking.message_post(body=_("Advance shipping notice %s", body["reference"]))
        if body.get("done", True):
            picking._mfg_validate_without_backorder()
        backorder = order.picking_ids.filtered(
            lambda p: p.backorder_id == picking and p.state not in ("done", "cancel")
        )
        return CommandResult(
            {
                "purchase_order": body["purchase_order"],
                "reference": order.name,
                "receipt": picking.name,
                "status": picking.state,
                "backorder": backorder.name or None,
            },
            picking,
        )

    @api.model
    def _command_purchase_confirmation(self, ctx, body, id):
        order = self._purchase_order(ctx, id)
        ctx.check_stale("purchase", order, body.get("source_timestamp"))
        line_changes = []
        if body["status"] == "changed":
            for index, line in enumerate(body.get("lines") or []):
                pointer = f"/lines/{index}"
                product = ctx.resolve("product", line["product"], f"{pointer}/product")
                order_line = order.order_line.filtered(
                    lambda order_line, product=product: order_line.product_id == product
                )[:1]
                if not order_line:
                    raise business_error(
                        f"{product.display_name} is not on {order.name}.", f"{pointer}/product"
                    )
                values = {}
                if line.get("quantity"):
                    values["product_qty"] = line["quantity"]
                if line.get("date"):
                    values["date_planned"] = parse_timestamp(line["date"], f"{pointer}/date")
                line_changes.append((order_line, values))
        order._mfg_acknowledge(
            body["status"],
            supplier_reference=body.get("supplier_reference"),
            line_changes=line_changes,
            reason=body.get("reason"),
            via=ctx.system.code,
        )
        return CommandResult(
            {
                "id": id,
                "reference": order.name,
                "status": order.state,
                "acknowledged": body["status"],
            },
            order,
        )
