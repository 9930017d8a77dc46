"""Supplier terms: a supplier's code, name, price breaks, lead time and
validity for a product, as Odoo's supplier info (what purchase picks)."""

from odoo import api, fields, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest
from odoo.addons.mfg_integration_command.problems import CommandProblem

from ..schemas import DATE, EXTERNAL_ID, NAME, QUANTITY, answer
from .common import business_error

SUPPLIER_TERMS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["supplier", "product", "price", "currency"],
    "properties": {
        "supplier": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id"],
            "properties": {
                "id": {
                    **EXTERNAL_ID,
                    "description": "Your id of the supplier (cross-reference 'supplier').",
                },
                "name": {**NAME, "description": "Needed the first time: the supplier is created."},
            },
        },
        "product": {**EXTERNAL_ID, "description": "Your part number (cross-reference 'product')."},
        "supplier_product_code": {"type": "string", "maxLength": 128},
        "supplier_product_name": {"type": "string", "maxLength": 256},
        "price": {"type": "number", "minimum": 0, "maximum": 1e12},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217."},
        "min_quantity": {**QUANTITY, "description": "In the product's purchase unit."},
        "lead_time_days": {"type": "integer", "minimum": 0, "maximum": 3650},
        "valid_from": DATE,
        "valid_to": DATE,
    },
}

SUPPLIER_TERMS_RESULT = answer(
    {
        "supplier": {"type": "string"},
        "product": {"type": "string"},
        "reference": {"type": "string"},
        "created": {"type": "boolean"},
    },
    ["supplier", "product", "reference", "created"],
)

HANDLERS = "mfg.integration.masterdata.inbound"

COMMANDS = [
    Command(
        name="supplier_terms.upsert",
        handler=f"{HANDLERS}:_command_upsert_supplier_terms",
        rest=Rest(
            "POST",
            "/masterdata/supplier-terms",
            operation="upsert_supplier_terms",
            tag="Master data",
        ),
        scope="supplier_terms:write",
        summary="Create or update a supplier's price break for a product (one per supplier, "
        "product, minimum quantity and start date)",
        request_schema=SUPPLIER_TERMS,
        response_schema=SUPPLIER_TERMS_RESULT,
        latency_class="near-real-time",
        example={
            "supplier": {"id": "SUP-77", "name": "Precision Castings Ltd"},
            "product": "PN-2000",
            "supplier_product_code": "PC-HSG-4",
            "price": 12.5,
            "currency": "EUR",
            "min_quantity": 100,
            "lead_time_days": 14,
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
        },
    ),
]


class MfgIntegrationMasterdataInbound(models.AbstractModel):
    _inherit = "mfg.integration.masterdata.inbound"

    @api.model
    def _command_upsert_supplier_terms(self, ctx, body):
        return self._upsert_supplier_terms(ctx, body)

    def _upsert_supplier_terms(self, ctx, body, at=""):
        product = ctx.resolve("product", body["product"], f"{at}/product")
        supplier = self._supplier(ctx, body["supplier"], f"{at}/supplier")
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", body["currency"])], limit=1)
        )
        if not currency.active:
            raise business_error(
                f"Currency {body['currency']} is not "
                + ("active in Odoo: activate it first." if currency else "known to Odoo."),
                f"{at}/currency",
            )
        valid_from = fields.Date.to_date(body.get("valid_from"))
        valid_to = fields.Date.to_date(body.get("valid_to"))
        if valid_from and valid_to and valid_to < valid_from:
            raise business_error("The terms end before they start.", f"{at}/valid_to")
        values = {
            "price": body["price"],
            "currency_id": currency.id,
            "date_end": valid_to,
        }
        for key, field in (
            ("supplier_product_code", "product_code"),
            ("supplier_product_name", "product_name"),
            ("lead_time_days", "delay"),
        ):
            if key in body:
                values[field] = body[key]
        terms, created = self.env["product.supplierinfo"]._mfg_upsert(
            supplier, product.product_tmpl_id, body.get("min_quantity", 0), valid_from, values
        )
        return CommandResult(
            {
                "supplier": body["supplier"]["id"],
                "product": body["product"],
                "reference": terms.display_name,
                "created": created,
            },
            terms,
        )

    def _supplier(self, ctx, supplier, pointer):
        """The caller's supplier; created with its name the first time."""
        partner = self._find(ctx, "supplier", supplier["id"])
        if partner:
            return partner
        if not supplier.get("name"):
            raise CommandProblem(
                "unknown-reference",
                f"Supplier '{supplier['id']}' is not known to Odoo: send its name to create it.",
                errors=[{"pointer": f"{pointer}/name", "detail": "required for a new supplier"}],
                kind="supplier",
                value=supplier["id"],
            )
        partner = self.env["res.partner"].create(
            {
                "name": supplier["name"],
                "is_company": True,
                "supplier_rank": 1,
                "ref": supplier["id"],
            }
        )
        ctx.register("supplier", supplier["id"], partner)
        return partner
