from odoo import _, api, fields, models

from .events import emit, ref

# the route that each make-or-buy decision sets (the other one is removed)
MAKE_OR_BUY_ROUTES = {
    "make": "mrp.route_warehouse0_manufacture",
    "buy": "purchase_stock.route_warehouse0_buy",
}


class ProductTemplate(models.Model):
    _inherit = "product.template"

    mfg_revision = fields.Char(
        string="PLM Revision", copy=False, help="The revision the PLM published last."
    )
    mfg_revision_ids = fields.One2many(
        "mfg.integration.item.revision", "product_tmpl_id", string="PLM Revisions"
    )

    @api.model
    def _mfg_make_or_buy_routes(self, template, decision):
        """route_ids commands: the decision's route in, the other one out."""
        commands = []
        for name, xmlid in MAKE_OR_BUY_ROUTES.items():
            route = self.env.ref(xmlid, raise_if_not_found=False)
            if route:
                commands.append(((4 if name == decision else 3), route.id))
        return commands

    def _mfg_has_stock_moves(self):
        self.ensure_one()
        return bool(
            self.env["stock.move"]
            .sudo()
            .search_count([("product_id.product_tmpl_id", "=", self.id)], limit=1)
        )

    def _mfg_record_revision(self, system, revision, previous, change_number, name):
        """Keep a revision in the product's history and say so in its chatter."""
        self.ensure_one()
        self.env["mfg.integration.item.revision"].sudo().create(
            {
                "product_tmpl_id": self.id,
                "system_id": system.id,
                "revision": revision,
                "previous_revision": previous,
                "change_number": change_number,
                "name": name,
            }
        )
        self.message_post(
            body=_(
                "Revision %(revision)s from %(system)s (previous: %(previous)s, change: "
                "%(change)s).",
                revision=revision,
                system=system.code,
                previous=previous or _("none"),
                change=change_number or _("none"),
            )
        )

    # ------------------------------------------------------------------
    # Outbound events
    # ------------------------------------------------------------------
    def _mfg_emit_item_changed(self, part_number, previous, change_number):
        self.ensure_one()
        routes = self.route_ids
        make_or_buy = None
        for decision, xmlid in MAKE_OR_BUY_ROUTES.items():
            if self.env.ref(xmlid, raise_if_not_found=False) in routes:
                make_or_buy = decision
        return emit(
            self,
            "masterdata.item.changed.v1",
            {
                "product": ref(self.product_variant_id),
                "part_number": part_number,
                "revision": self.mfg_revision,
                "previous_revision": previous,
                "change_number": change_number,
                "name": self.name,
                "unit": self.uom_id.name,
                "tracking": self.tracking,
                "make_or_buy": make_or_buy,
                "weight": self.weight,
                "active": self.active,
            },
        )
