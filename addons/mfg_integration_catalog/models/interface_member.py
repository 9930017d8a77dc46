"""What an interface is made of, and the inventory that keeps it complete.

Commands are declarations in Python (``_mfg_commands``), not records: the
catalog keeps a member row per command name. Event types are records of
core; webhook endpoints, broker sinks and command queues are records of
addons the catalog does not depend on: their members name the model and the
record, and are inventoried only where the addon is installed.
"""

import importlib
import logging

from odoo import _, api, fields, models

_logger = logging.getLogger(__name__)

# kind: the model whose records are members of that kind, where it is installed
RECORD_SOURCES = {
    "event_type": "mfg.integration.event.type",
    "webhook_endpoint": "mfg.integration.webhook.endpoint",
    "broker_sink": "mfg.integration.broker.sink",
    "command_queue": "mfg.integration.broker.queue",
}
PLATFORM_INTERFACE = "mfg_integration_catalog.interface_platform"
# the business addons' flows (their commands/<flow>.py) -> the interface that
# catalogues them, and the event types that flow emits (by prefix)
_MASTER_DATA = ("MASTER-DATA", "PLM master data", "master_data", ("masterdata.",))
SUITE_FLOWS = {
    "mfg_integration_mrp": {
        "production": (
            "MRP-PRODUCTION",
            "Production orders",
            "demand_to_production",
            ("mrp.production.",),
        ),
        "work_orders": (
            "MRP-WORK-ORDERS",
            "Work order progress",
            "demand_to_production",
            ("mrp.workorder.",),
        ),
        "stock": (
            "MRP-STOCK",
            "Stock movements",
            "inventory",
            ("stock.transfer.", "stock.inventory."),
        ),
        "purchasing": (
            "MRP-PURCHASING",
            "Purchasing and receipts",
            "procure_to_receipt",
            ("purchase.", "stock.receipt."),
        ),
        "quality": ("MRP-QUALITY", "Quality holds", "quality_containment", ("stock.lot.",)),
        "shipping": ("MRP-SHIPPING", "Shipments", "order_to_ship", ("stock.shipment.",)),
    },
    "mfg_integration_masterdata": {
        flow: _MASTER_DATA for flow in ("items", "boms", "workcenters", "supplier_terms", "loads")
    },
    "mfg_integration_maintenance": {
        "equipment": (
            "MAINTENANCE-EQUIPMENT",
            "Machine states, alarms and counters",
            "maintenance",
            ("maintenance.request.", "mrp.workcenter.state_changed."),
        ),
    },
}


class MfgIntegrationInterfaceMember(models.Model):
    _name = "mfg.integration.interface.member"
    _description = "Integration Interface Member"
    _order = "kind, name"

    interface_id = fields.Many2one(
        "mfg.integration.interface",
        ondelete="set null",
        index=True,
        help="Empty: not catalogued yet; the catalog lists it until someone assigns it.",
    )
    kind = fields.Selection(
        [
            ("command", "Command"),
            ("event_type", "Event type"),
            ("webhook_endpoint", "Webhook endpoint"),
            ("broker_sink", "Broker sink"),
            ("command_queue", "Command queue"),
        ],
        required=True,
        index=True,
    )
    key = fields.Char(
        required=True, readonly=True, help="The command's name, or model,id of the record."
    )
    name = fields.Char(required=True, readonly=True)
    res_model = fields.Char(string="Model", readonly=True)
    res_id = fields.Many2oneReference(string="Record Id", model_field="res_model", readonly=True)
    catalogued = fields.Boolean(compute="_compute_catalogued", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )

    _sql_constraints = [
        ("kind_key_uniq", "unique(kind, key)", "A command or record belongs to one interface."),
    ]

    @api.depends("interface_id")
    def _compute_catalogued(self):
        for member in self:
            member.catalogued = bool(member.interface_id)

    @api.model_create_multi
    def create(self, vals_list):
        members = super().create(vals_list)
        self.env.registry.clear_cache()  # the request path's policy cache
        return members

    def write(self, vals):
        result = super().write(vals)
        if "interface_id" in vals:
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    def action_open_record(self):
        self.ensure_one()
        if not self.res_model or self.res_model not in self.env:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Inventory
    # ------------------------------------------------------------------
    def _register_hook(self):
        """Once addons are installed or updated (and only then: a registry
        loaded to serve requests writes nothing), the inventory is refreshed
        with every addon's commands loaded, those installed after the catalog
        included."""
        result = super()._register_hook()
        if self.pool.updated_modules:
            self._sync_inventory()
        return result

    @api.model
    def _inventory(self):
        """{(kind, key): (name, res_model, res_id, company id)} of everything
        the installed addons declare that belongs to an interface."""
        found = {}
        company = self.env.company.id
        # a command's versions are one member: an interface owns the command
        commands = self.env["mfg.integration.command"]._command_table().values()
        for name in sorted({command.name for command in commands}):
            found[("command", name)] = (name, False, False, company)
        for kind, model_name in RECORD_SOURCES.items():
            if model_name not in self.env:
                continue
            Model = self.env[model_name].sudo().with_context(active_test=False)
            for record in Model.search([]):
                owner = record.company_id.id if "company_id" in record._fields else False
                found[(kind, f"{model_name},{record.id}")] = (
                    record.display_name,
                    model_name,
                    record.id,
                    owner or company,
                )
        return found

    @api.model
    def _sync_inventory(self):
        """Add a member for everything new (not catalogued unless a suite flow
        claims it), drop members whose command or record is gone; return the
        number of members still not catalogued."""
        Members = self.sudo().with_context(active_test=False)
        found = self._inventory()
        existing = {(m.kind, m.key): m for m in Members.search([])}
        gone = Members.browse([m.id for k, m in existing.items() if k not in found])
        gone.unlink()
        Members.create(
            [
                {
                    "kind": kind,
                    "key": key,
                    "name": name,
                    "res_model": res_model,
                    "res_id": res_id,
                    "company_id": company_id,
                }
                for (kind, key), (name, res_model, res_id, company_id) in found.items()
                if (kind, key) not in existing
            ]
        )
        self._catalogue_suite_flows()
        missing = Members.search_count([("interface_id", "=", False)])
        if missing:
            _logger.info("%d commands, event types or channels are not catalogued.", missing)
        return missing

    @api.model
    def _catalogue_suite_flows(self):
        """The suite's own members get their interface: the platform's
        commands, and each manufacturing flow's commands and event types."""
        Members = self.sudo()
        Interface = self.env["mfg.integration.interface"].sudo().with_context(active_test=False)
        platform = self.env.ref(PLATFORM_INTERFACE, raise_if_not_found=False)
        uncatalogued = Members.search([("interface_id", "=", False)])
        if platform:
            uncatalogued.filtered(lambda m: m.kind == "command" and m.key == "request.get").write(
                {"interface_id": platform.id}
            )
        for (addon, flow), commands in self._suite_flow_commands().items():
            code, name, process, event_prefixes = SUITE_FLOWS[addon][flow]
            claimed = uncatalogued.filtered(
                lambda m, commands=commands, event_prefixes=event_prefixes: (
                    m.kind == "command" and m.key in commands
                )
                or (m.kind == "event_type" and m.name.startswith(event_prefixes))
            )
            if not claimed:
                continue
            interface = Interface.search([("code", "=", code)], limit=1) or Interface.create(
                {"code": code, "name": name, "business_process": process, "mode": "cut_over"}
            )
            claimed.write({"interface_id": interface.id})

    @api.model
    def _suite_flow_commands(self):
        """{(addon, flow): {command names}} of the business addons installed."""
        installed = (
            self.env["ir.module.module"]
            .sudo()
            .search(
                [("name", "in", list(SUITE_FLOWS)), ("state", "in", ("installed", "to upgrade"))]
            )
            .mapped("name")
        )
        found = {}
        for addon in installed:
            flows = importlib.import_module(f"odoo.addons.{addon}.commands").FLOWS
            for flow in flows:
                name = flow.__name__.rsplit(".", 1)[1]
                if name in SUITE_FLOWS[addon]:
                    found[addon, name] = {command.name for command in flow.COMMANDS}
        return found

    @api.model
    def action_sync_inventory(self):
        missing = self._sync_inventory()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Inventory refreshed"),
                "message": _("%s members are not catalogued.", missing),
                "type": "warning" if missing else "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
