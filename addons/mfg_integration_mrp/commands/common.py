"""What every manufacturing command shares: translating the caller's units,
lots and record ids. Handlers run as the client's technical user inside the
pipeline's savepoint: any error leaves nothing behind."""

from odoo import models

from odoo.addons.mfg_integration_command.problems import CommandProblem


def business_error(detail, pointer=None):
    """A business rule broken by a field of the payload, naming the field."""
    errors = [{"pointer": pointer, "detail": detail}] if pointer else []
    return CommandProblem("business-rule", detail, errors=errors)


class MfgIntegrationMrpInbound(models.AbstractModel):
    _name = "mfg.integration.mrp.inbound"
    _description = "Manufacturing Command Handlers"

    def _quantity_in(self, ctx, product, quantity, unit_code, pointer):
        """The caller's unit as an Odoo unit that can measure the product."""
        if not unit_code:
            return quantity, product.uom_id
        uom = ctx.map_in_record("uom", unit_code, pointer)
        if uom.category_id != product.uom_id.category_id:
            raise business_error(
                f"Unit '{unit_code}' ({uom.name}) cannot measure {product.display_name}, "
                f"which is counted in {product.uom_id.name}.",
                pointer,
            )
        return quantity, uom

    def _lot(self, ctx, product, lot_id, pointer, create=False):
        """The caller's lot: by cross-reference, then by name; created on demand."""
        Lot = self.env["stock.lot"]
        kind = "serial" if product.tracking == "serial" else "lot"
        if ctx.system:
            found = ctx.mapping.resolve_record(ctx.system, kind, lot_id, raise_if_missing=False)
            if found:
                return found
        lot = Lot.search(
            [
                ("name", "=", lot_id),
                ("product_id", "=", product.id),
                ("company_id", "in", [False, self.env.company.id]),
            ],
            limit=1,
        )
        if lot or not create:
            if not lot:
                raise CommandProblem(
                    "unknown-reference",
                    f"Lot '{lot_id}' of {product.display_name} is not known.",
                    errors=[{"pointer": pointer, "detail": "unknown lot"}],
                )
            return lot
        if product.tracking == "none":
            raise business_error(
                f"{product.display_name} is not tracked by lot or serial.", pointer
            )
        return Lot.create(
            {"name": lot_id, "product_id": product.id, "company_id": self.env.company.id}
        )

    def _lot_quantities(self, ctx, product, lots, pointer, create=False):
        """[(lot record, quantity)] of a payload's lots list."""
        return [
            (
                self._lot(ctx, product, line["lot"], f"{pointer}/lots/{index}/lot", create=create),
                line["quantity"],
            )
            for index, line in enumerate(lots)
        ]

    def _record_by_id_or_name(self, ctx, object_type, model, identifier, name_field="name"):
        """A command's subject: the caller's cross-reference, else the Odoo
        reference; not found otherwise."""
        if ctx.system:
            found = ctx.mapping.resolve_record(
                ctx.system, object_type, identifier, raise_if_missing=False
            )
            if found:
                return found
        found = self.env[model].search([(name_field, "=", identifier)], limit=2)
        if len(found) != 1:
            raise CommandProblem(
                "not-found", f"No {object_type} '{identifier}' is known to Odoo for you."
            )
        return found

    def _product_move(self, ctx, moves, product, container, pointer):
        """The move of a product in a picking or order, or a business rule
        problem naming the line."""
        move = moves.filtered(lambda m: m.product_id == product)[:1]
        if not move:
            raise business_error(f"{product.display_name} is not on {container}.", pointer)
        return move
