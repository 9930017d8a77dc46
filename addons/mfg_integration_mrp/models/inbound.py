"""What each inbound message does to Odoo records.

Handlers run as the calling client's technical user, inside a savepoint:
any error leaves nothing behind and becomes a problem document.
"""

import base64
from datetime import datetime

from odoo import _, api, fields, models
from odoo.tools import float_compare, float_round

from odoo.addons.mfg_integration_api.models.api_context import parse_timestamp
from odoo.addons.mfg_integration_api.problems import ApiProblem

OPEN_PRODUCTION_STATES = ("confirmed", "progress", "to_close")


def business_error(detail, pointer=None):
    errors = [{"pointer": pointer, "detail": detail}] if pointer else []
    return ApiProblem("business-rule", detail, errors=errors)


class MfgIntegrationMrpInbound(models.AbstractModel):
    _name = "mfg.integration.mrp.inbound"
    _description = "Manufacturing Inbound Handlers"

    # ------------------------------------------------------------------
    # Shared translation helpers
    # ------------------------------------------------------------------
    def _quantity_in(self, ctx, product, quantity, unit_code, pointer):
        """Convert a quantity in the caller's unit to the product's unit."""
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
                raise ApiProblem(
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

    def _set_lot_lines(self, ctx, move, lots, pointer, create=False):
        """Replace a move's lines by one line per reported lot and quantity."""
        move.move_line_ids.unlink()
        for index, lot_line in enumerate(lots):
            lot = self._lot(
                ctx, move.product_id, lot_line["lot"], f"{pointer}/lots/{index}/lot", create=create
            )
            self.env["stock.move.line"].create(
                move._prepare_move_line_vals(quantity=lot_line["quantity"]) | {"lot_id": lot.id}
            )

    def _record_by_id_or_name(self, ctx, object_type, model, identifier, name_field="name"):
        """Path ids: the caller's cross-reference, else the Odoo reference; 404 otherwise."""
        if ctx.system:
            found = ctx.mapping.resolve_record(
                ctx.system, object_type, identifier, raise_if_missing=False
            )
            if found:
                return found
        found = self.env[model].search([(name_field, "=", identifier)], limit=2)
        if len(found) != 1:
            raise ApiProblem(
                "not-found", f"No {object_type} '{identifier}' is known to Odoo for you."
            )
        return found

    # ------------------------------------------------------------------
    # Production orders
    # ------------------------------------------------------------------
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
            "due_date": fields.Datetime.to_string(production.date_deadline) or None,
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
            "__record__": production,
        }

    @api.model
    def _api_create_production_order(self, ctx, body):
        Production = self.env["mrp.production"]
        existing = ctx.mapping.resolve_record(
            ctx._system_required(), "production", body["id"], raise_if_missing=False
        )
        if existing:
            raise ApiProblem(
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
        production = Production.create(values)
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
        return self._production_to_api(ctx, production)

    @api.model
    def _api_get_production_order(self, ctx, body, id):
        production = ctx.resolve("production", id, None, not_found_status=True)
        return self._production_to_api(ctx, production)

    @api.model
    def _api_list_production_orders(self, ctx, body):
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
                raise ApiProblem(
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
        items = []
        for production in page:
            item = self._production_to_api(ctx, production)
            item.pop("__record__")
            items.append(item)
        next_cursor = None
        if len(productions) > limit:
            last = page[-1]
            next_cursor = base64.urlsafe_b64encode(
                f"{last.write_date.isoformat()}|{last.id}".encode()
            ).decode()
        return {"items": items, "next_cursor": next_cursor}

    @api.model
    def _api_confirm_production(self, ctx, body, id):
        production = ctx.resolve("production", id, None, not_found_status=True)
        ctx.check_stale("production", production, body.get("source_timestamp"))
        if production.state not in OPEN_PRODUCTION_STATES:
            raise ApiProblem(
                "conflict",
                f"{production.name} is {production.state}; it takes no more confirmations.",
            )
        product = production.product_id
        produced = body["produced_quantity"]
        if body.get("lot"):
            production.lot_producing_id = self._lot(ctx, product, body["lot"], "/lot", create=True)
        elif product.tracking != "none" and produced:
            raise business_error(f"{product.display_name} needs a lot or serial.", "/lot")
        production.qty_producing = production.qty_producing + produced
        if body.get("consumed"):
            self._record_consumption(ctx, production, body["consumed"])
        else:
            production._set_qty_producing()
        if body.get("scrapped_quantity"):
            production.mfg_scrapped_qty += body["scrapped_quantity"]
        notes = [
            _(
                "%(system)s confirmed %(qty)s %(uom)s",
                system=ctx.system.code,
                qty=produced,
                uom=production.product_uom_id.name,
            ),
        ]
        if body.get("scrapped_quantity"):
            reason = body.get("scrap_reason")
            if reason:
                reason = ctx.map_in("scrap.reason", reason, "/scrap_reason")
            notes.append(
                _(
                    "scrapped %(qty)s (%(reason)s)",
                    qty=body["scrapped_quantity"],
                    reason=reason or _("no reason"),
                )
            )
        for key, label in (
            ("work_center", _("work center")),
            ("operator", _("operator")),
            ("started_at", _("started")),
            ("finished_at", _("finished")),
        ):
            if body.get(key):
                notes.append(f"{label}: {body[key]}")
        production.message_post(body="; ".join(str(note) for note in notes))
        variance = self.env["mfg.integration.production.variance"]
        if body.get("final"):
            result = production.with_context(
                skip_backorder=True, skip_consumption=True, skip_expired=True
            ).button_mark_done()
            if result is not True and production.state != "done":
                raise business_error(f"{production.name} could not be closed.")
            variance = variance._record(
                production,
                production.qty_produced,
                production.mfg_scrapped_qty,
                ctx.system,
                ctx.correlation_id,
            )
        response = self._production_to_api(ctx, production)
        response["variance"] = (
            {"quantity": variance.variance_qty, "percent": round(variance.variance_pct, 2)}
            if variance
            else None
        )
        return response

    def _record_consumption(self, ctx, production, consumed):
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
            quantity = uom._compute_quantity(quantity, move.product_uom)
            if line.get("lots"):
                self._set_lot_lines(ctx, move, line["lots"], pointer)
            else:
                move.quantity = move.quantity + quantity if move.picked else quantity
            move.picked = True

    # ------------------------------------------------------------------
    # Work orders
    # ------------------------------------------------------------------
    @api.model
    def _api_work_order_event(self, ctx, body, id):
        workorder = ctx.resolve("workorder", id, None, not_found_status=True)
        ctx.check_stale("workorder", workorder, body.get("source_timestamp"))
        event = body["event"]
        allowed = {
            "start": ("pending", "waiting", "ready"),
            "pause": ("progress",),
            "resume": ("pending", "waiting", "ready", "progress"),
            "finish": ("ready", "progress", "pending", "waiting"),
        }[event]
        if workorder.state not in allowed:
            raise ApiProblem(
                "conflict", f"{workorder.display_name} is {workorder.state}: cannot {event}."
            )
        if event in ("start", "resume"):
            workorder.button_start()
        elif event == "pause":
            workorder.button_pending()
        else:
            workorder.button_finish()
        if body.get("operator"):
            workorder.production_id.message_post(
                body=_(
                    "%(op)s: work order %(wo)s %(event)s",
                    op=body["operator"],
                    wo=workorder.name,
                    event=event,
                )
            )
        return {
            "id": id,
            "reference": workorder.display_name,
            "status": workorder.state,
            "__record__": workorder,
        }

    # ------------------------------------------------------------------
    # Inventory
    # ------------------------------------------------------------------
    @api.model
    def _api_inventory_movement(self, ctx, item, index):
        pointer = f"/movements/{index}"
        product = ctx.resolve("product", item["product"], f"{pointer}/product")
        quantity, uom = self._quantity_in(
            ctx, product, item["quantity"], item["unit"], f"{pointer}/unit"
        )
        quantity = uom._compute_quantity(quantity, product.uom_id)
        lot = (
            self._lot(ctx, product, item["lot"], f"{pointer}/lot", create=True)
            if item.get("lot")
            else None
        )
        if product.tracking != "none" and not lot:
            raise business_error(f"{product.display_name} needs a lot or serial.", f"{pointer}/lot")
        if item["type"] == "count":
            return self._inventory_count(ctx, product, quantity, lot, item, index)
        for key in ("from_location", "to_location"):
            if not item.get(key):
                raise ApiProblem(
                    "validation-error",
                    f"A move needs '{key}'.",
                    errors=[{"pointer": f"{pointer}/{key}", "detail": "required for a move"}],
                )
        source = ctx.resolve("location", item["from_location"], f"{pointer}/from_location")
        destination = ctx.resolve("location", item["to_location"], f"{pointer}/to_location")
        move = self.env["stock.move"].create(
            {
                "name": item.get("reference") or _("%s movement", ctx.system.code),
                "product_id": product.id,
                "product_uom": product.uom_id.id,
                "product_uom_qty": quantity,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "origin": item.get("reference"),
                "company_id": self.env.company.id,
            }
        )
        move._action_confirm()
        move._action_assign()
        move.move_line_ids.unlink()
        self.env["stock.move.line"].create(
            move._prepare_move_line_vals(quantity=quantity) | {"lot_id": lot.id if lot else False}
        )
        move.picked = True
        move._action_done()
        if move.state != "done":
            raise business_error(f"The movement of {product.display_name} could not be applied.")
        return {
            "index": index,
            "type": "move",
            "move": move.reference or move.name,
            "quantity": quantity,
            "__record__": move,
        }

    def _inventory_count(self, ctx, product, quantity, lot, item, index):
        pointer = f"/movements/{index}"
        if not item.get("location"):
            raise ApiProblem(
                "validation-error",
                "A count needs 'location'.",
                errors=[{"pointer": f"{pointer}/location", "detail": "required for a count"}],
            )
        location = ctx.resolve("location", item["location"], f"{pointer}/location")
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        quant = Quant.search(
            [
                ("product_id", "=", product.id),
                ("location_id", "=", location.id),
                ("lot_id", "=", lot.id if lot else False),
            ],
            limit=1,
        )
        on_hand = quant.quantity
        if quant:
            quant.inventory_quantity = quantity
        else:
            quant = Quant.create(
                {
                    "product_id": product.id,
                    "location_id": location.id,
                    "lot_id": lot.id if lot else False,
                    "inventory_quantity": quantity,
                }
            )
        quant.action_apply_inventory()
        difference = quantity - on_hand
        self._check_discrepancy(ctx, product, location, lot, on_hand, quantity)
        return {
            "index": index,
            "type": "count",
            "previous": on_hand,
            "counted": quantity,
            "difference": difference,
            "__record__": quant,
        }

    @api.model
    def _check_discrepancy(self, ctx, product, location, lot, expected, counted):
        tolerance = self.env["mfg.integration.settings"]._get(
            "inventory_discrepancy_tolerance_pct", 2
        )
        base = abs(expected) or 1.0
        if abs(counted - expected) / base * 100.0 > tolerance:
            self._on_inventory_discrepancy(
                ctx, product, location, lot, expected, counted, tolerance
            )

    @api.model
    def _on_inventory_discrepancy(self, ctx, product, location, lot, expected, counted, tolerance):
        """Hook: the exception app opens an exception here."""
        return None

    @api.model
    def _api_availability(self, ctx, body):
        query = ctx.query
        product = ctx.resolve("product", query["product"], "/product")
        if query.get("location"):
            location = ctx.resolve("location", query["location"], "/location")
        else:
            warehouse = ctx.system.warehouse_id or self.env["stock.warehouse"].search(
                [("company_id", "=", self.env.company.id)], limit=1
            )
            location = warehouse.lot_stock_id
        quants = self.env["stock.quant"].search(
            [("product_id", "=", product.id), ("location_id", "child_of", location.id)]
        )
        on_hand = sum(quants.mapped("quantity"))
        held = sum(quants.filtered(lambda quant: quant.lot_id.mfg_hold).mapped("quantity"))
        reserved = sum(quants.mapped("reserved_quantity"))
        return {
            "product": query["product"],
            "location": ctx.external_id(location, "location") or location.complete_name,
            "unit": ctx.map_out("uom", product.uom_id),
            "on_hand": on_hand,
            "reserved": reserved,
            "on_hold": held,
            "available": float_round(
                on_hand - reserved - held, precision_rounding=product.uom_id.rounding
            ),
        }

    # ------------------------------------------------------------------
    # Purchasing
    # ------------------------------------------------------------------
    def _purchase_order(self, ctx, identifier):
        return self._record_by_id_or_name(ctx, "purchase", "purchase.order", identifier)

    @api.model
    def _api_receipt(self, ctx, body):
        order = self._purchase_order(ctx, body["purchase_order"])
        pickings = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming" and p.state not in ("done", "cancel")
        )
        if not pickings:
            raise ApiProblem("conflict", f"{order.name} has no receipt waiting.")
        picking = pickings[0]
        for index, line in enumerate(body["lines"]):
            pointer = f"/lines/{index}"
            product = ctx.resolve("product", line["product"], f"{pointer}/product")
            move = picking.move_ids.filtered(lambda m, product=product: m.product_id == product)[:1]
            if not move:
                raise business_error(
                    f"{product.display_name} is not on {order.name}.", f"{pointer}/product"
                )
            quantity, uom = self._quantity_in(
                ctx, product, line["quantity"], line.get("unit"), f"{pointer}/unit"
            )
            quantity = uom._compute_quantity(quantity, move.product_uom)
            move.move_line_ids.unlink()
            lots = line.get("lots") or []
            if product.tracking != "none" and not lots:
                raise business_error(f"{product.display_name} needs lots.", f"{pointer}/lots")
            if lots:
                total = sum(lot_line["quantity"] for lot_line in lots)
                if float_compare(
                    total, line["quantity"], precision_rounding=move.product_uom.rounding
                ):
                    raise business_error(
                        f"The lots add up to {total}, not {line['quantity']}.", f"{pointer}/lots"
                    )
                self._set_lot_lines(ctx, move, lots, pointer, create=True)
            else:
                move.quantity = quantity
            move.picked = True
        if body.get("reference"):
            picking.message_post(body=_("Advance shipping notice %s", body["reference"]))
        if body.get("done", True):
            picking.with_context(
                skip_backorder=True, picking_ids_not_to_backorder=[], skip_sms=True
            ).button_validate()
        backorder = order.picking_ids.filtered(
            lambda p: p.backorder_id == picking and p.state not in ("done", "cancel")
        )
        return {
            "purchase_order": body["purchase_order"],
            "reference": order.name,
            "receipt": picking.name,
            "status": picking.state,
            "backorder": backorder.name or None,
            "__record__": picking,
        }

    @api.model
    def _api_purchase_confirmation(self, ctx, body, id):
        order = self._purchase_order(ctx, id)
        ctx.check_stale("purchase", order, body.get("source_timestamp"))
        status = body["status"]
        if body.get("supplier_reference"):
            order.partner_ref = body["supplier_reference"]
        if status == "accepted":
            if order.state in ("draft", "sent"):
                order.button_confirm()
            elif order.state in ("cancel",):
                raise ApiProblem("conflict", f"{order.name} is cancelled.")
        elif status == "changed":
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
                order_line.write(values)
        else:
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=(order.user_id or self.env.ref("base.user_admin")).id,
                summary=_("%s rejected by the supplier", order.name),
                note=body.get("reason") or _("No reason given."),
            )
        order.message_post(
            body=_(
                "Supplier %(status)s the order via %(system)s. %(reason)s",
                status=status,
                system=ctx.system.code,
                reason=body.get("reason") or "",
            )
        )
        return {
            "id": id,
            "reference": order.name,
            "status": order.state,
            "acknowledged": status,
            "__record__": order,
        }

    # ------------------------------------------------------------------
    # Quality holds
    # ------------------------------------------------------------------
    def _hold_lot(self, ctx, body):
        product = ctx.resolve("product", body["product"], "/product")
        return self._lot(ctx, product, body["lot"], "/lot")

    @api.model
    def _api_quality_hold(self, ctx, body):
        lot = self._hold_lot(ctx, body)
        blocked = lot._mfg_put_on_hold(body.get("reason"))
        blocked_pickings = blocked.picking_id
        if blocked:
            self._on_quality_hold_blocks_delivery(ctx, lot, blocked)
        return {
            "lot": body["lot"],
            "status": "held",
            "open_deliveries": blocked_pickings.mapped("name"),
            "__record__": lot,
        }

    @api.model
    def _on_quality_hold_blocks_delivery(self, ctx, lot, moves):
        """Hook: the exception app opens an exception here."""
        return None

    @api.model
    def _api_quality_release(self, ctx, body):
        lot = self._hold_lot(ctx, body)
        lot._mfg_release(body.get("reason"))
        waiting = self.env["stock.move"].search(
            [
                ("product_id", "=", lot.product_id.id),
                ("state", "in", ("confirmed", "partially_available")),
            ]
        )
        waiting._action_assign()
        return {"lot": body["lot"], "status": "released", "__record__": lot}

    # ------------------------------------------------------------------
    # Shipments
    # ------------------------------------------------------------------
    @api.model
    def _api_shipment_confirmation(self, ctx, body, id):
        picking = self._record_by_id_or_name(ctx, "picking", "stock.picking", id)
        ctx.check_stale("picking", picking, body.get("source_timestamp"))
        if picking.state in ("done", "cancel"):
            raise ApiProblem("conflict", f"{picking.name} is already {picking.state}.")
        if body.get("tracking_reference"):
            picking.mfg_tracking_ref = body["tracking_reference"]
        if body.get("carrier"):
            picking.mfg_carrier_name = body["carrier"]
        for index, line in enumerate(body.get("lines") or []):
            pointer = f"/lines/{index}"
            product = ctx.resolve("product", line["product"], f"{pointer}/product")
            move = picking.move_ids.filtered(lambda m, product=product: m.product_id == product)[:1]
            if not move:
                raise business_error(
                    f"{product.display_name} is not in {picking.name}.", f"{pointer}/product"
                )
            if line.get("lots"):
                self._set_lot_lines(ctx, move, line["lots"], pointer)
            else:
                move.quantity = line["quantity"]
        picking.move_ids.picked = True
        if not any(picking.move_ids.mapped("quantity")):
            raise business_error(f"Nothing of {picking.name} is reserved or reported shipped.")
        picking.with_context(
            skip_backorder=True, picking_ids_not_to_backorder=[], skip_sms=True
        ).button_validate()
        return {
            "id": id,
            "reference": picking.name,
            "status": picking.state,
            "tracking_reference": picking.mfg_tracking_ref or None,
            "__record__": picking,
        }
