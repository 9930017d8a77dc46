"""Mapping templates: standardize a system's value maps before the next plant.

A consultant saves a connected system's value maps and the object types it
cross-references as a template, and creates a new plant's system from it: its
value maps are copied and marked as coming from the template; cross-references
are per system and are not copied. The drift report lists where a plant's maps
differ from its template; a change of the template reaches the plants that
follow it through a push that a second manager approves (four eyes, as client
changes are)."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

# the value map fields that a template keeps, and their labels in the drift report
MAP_SETTINGS = (
    "description",
    "target_model",
    "case_sensitive",
    "default_canonical_value",
    "default_external_code",
)
ENTRY_FIELDS = ("canonical_value", "record_ref", "outbound_preferred")

DRIFT_KINDS = [
    ("missing_map", "Value map missing in the plant"),
    ("extra_map", "Value map only in the plant"),
    ("changed_setting", "Value map setting changed"),
    ("missing_entry", "Entry missing in the plant"),
    ("extra_entry", "Entry only in the plant"),
    ("changed_entry", "Entry changed"),
]


def entry_values(line):
    """What an entry (of a value map or of a template) says, comparable."""
    record = line.record_ref
    return {
        "canonical_value": line.canonical_value or False,
        "record_ref": f"{record._name},{record.id}" if record else False,
        "outbound_preferred": bool(line.outbound_preferred),
    }


def describe(values):
    if not values:
        return ""
    return ", ".join(f"{key}={value}" for key, value in values.items() if value not in (False, ""))


class MfgIntegrationMappingTemplate(models.Model):
    _name = "mfg.integration.mapping.template"
    _description = "Mapping Template"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    description = fields.Text()
    source_system_id = fields.Many2one(
        "mfg.integration.system", string="Saved From", readonly=True, ondelete="set null"
    )
    map_ids = fields.One2many("mfg.integration.mapping.template.map", "template_id", "Value Maps")
    object_type_ids = fields.Many2many(
        "mfg.integration.object.type",
        "mfg_integration_mapping_template_type_rel",
        "template_id",
        "object_type_id",
        string="Object Types",
        help="The object types a system of this template cross-references: the "
        "cross-references to create for each new plant (they are never copied).",
    )
    system_ids = fields.One2many("mfg.integration.system", "mfg_template_id", "Systems")
    system_count = fields.Integer(compute="_compute_system_count", string="Following Systems")
    push_state = fields.Selection(
        [("none", "Nothing to push"), ("pending", "Push awaiting approval")],
        default="none",
        required=True,
        readonly=True,
        tracking=True,
    )
    push_requested_by_id = fields.Many2one("res.users", readonly=True, string="Push Requested By")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )

    def _compute_system_count(self):
        for template in self:
            template.system_count = len(template.system_ids)

    # ------------------------------------------------------------------
    # Saving a system as a template
    # ------------------------------------------------------------------
    @api.model
    def _save_from_system(self, system, name=None):
        """A template of the system's value maps and cross-referenced object types."""
        object_types = (
            self.env["mfg.integration.xref"].search([("system_id", "=", system.id)]).object_type_id
        )
        template = self.create(
            {
                "name": name or _("%s template", system.code),
                "source_system_id": system.id,
                "company_id": system.company_id.id or self.env.company.id,
                "object_type_ids": [(6, 0, object_types.ids)],
                "map_ids": [
                    (0, 0, self.env["mfg.integration.mapping.template.map"]._values_of(value_map))
                    for value_map in system.env["mfg.integration.value.map"].search(
                        [("system_id", "=", system.id)]
                    )
                ],
            }
        )
        template.message_post(body=_("Saved from %s.", system.display_name))
        return template

    # ------------------------------------------------------------------
    # A new plant's system from the template
    # ------------------------------------------------------------------
    def _create_system(self, values):
        """A new system following the template, with its value maps copied."""
        self.ensure_one()
        system = self.env["mfg.integration.system"].create(
            {"kind": self.source_system_id.kind or "other", **values, "mfg_template_id": self.id}
        )
        for template_map in self.map_ids:
            template_map._copy_to(system)
        self.message_post(body=_("System %s created from the template.", system.display_name))
        return system

    # ------------------------------------------------------------------
    # Drift
    # ------------------------------------------------------------------
    def _drift(self, system):
        """Where the system's value maps differ from the template: a list of
        {domain, external_code, kind, template_value, system_value}."""
        self.ensure_one()
        differences = []
        maps = {
            value_map.domain: value_map
            for value_map in self.env["mfg.integration.value.map"]
            .with_context(active_test=False)
            .search([("system_id", "=", system.id)])
        }
        for template_map in self.map_ids:
            value_map = maps.pop(template_map.domain, None)
            if not value_map or not value_map.active:
                differences.append(
                    {
                        "domain": template_map.domain,
                        "kind": "missing_map",
                        "external_code": False,
                        "template_value": _("%s entries", len(template_map.line_ids)),
                        "system_value": False,
                    }
                )
                continue
            for setting in MAP_SETTINGS:
                if (template_map[setting] or False) != (value_map[setting] or False):
                    differences.append(
                        {
                            "domain": template_map.domain,
                            "kind": "changed_setting",
                            "external_code": setting,
                            "template_value": str(template_map[setting] or ""),
                            "system_value": str(value_map[setting] or ""),
                        }
                    )
            entries = {line.external_code: line for line in value_map.line_ids if line.active}
            for template_line in template_map.line_ids:
                line = entries.pop(template_line.external_code, None)
                expected = entry_values(template_line)
                if not line:
                    differences.append(
                        {
                            "domain": template_map.domain,
                            "kind": "missing_entry",
                            "external_code": template_line.external_code,
                            "template_value": describe(expected),
                            "system_value": False,
                        }
                    )
                elif entry_values(line) != expected:
                    differences.append(
                        {
                            "domain": template_map.domain,
                            "kind": "changed_entry",
                            "external_code": template_line.external_code,
                            "template_value": describe(expected),
                            "system_value": describe(entry_values(line)),
                        }
                    )
            for code, line in sorted(entries.items()):
                differences.append(
                    {
                        "domain": template_map.domain,
                        "kind": "extra_entry",
                        "external_code": code,
                        "template_value": False,
                        "system_value": describe(entry_values(line)),
                    }
                )
        for domain, value_map in sorted(maps.items()):
            if value_map.active:
                differences.append(
                    {
                        "domain": domain,
                        "kind": "extra_map",
                        "external_code": False,
                        "template_value": False,
                        "system_value": _("%s entries", len(value_map.line_ids)),
                    }
                )
        return differences

    def action_drift_report(self):
        """The drift of every system that follows the template."""
        self.ensure_one()
        return self.env["mfg.integration.mapping.drift"]._report(self, self.system_ids)

    # ------------------------------------------------------------------
    # Pushing a template change to its plants (four eyes)
    # ------------------------------------------------------------------
    def action_request_push(self):
        for template in self:
            if not template.system_ids:
                raise UserError(_("No system follows template %s.", template.name))
            template.write({"push_state": "pending", "push_requested_by_id": self.env.uid})
            template.message_post(
                body=_("Push to %s system(s) requested.", len(template.system_ids))
            )

    def action_approve_push(self):
        """Apply the template's value maps to the systems that follow it;
        another manager than the requester approves."""
        for template in self:
            if template.push_state != "pending":
                raise UserError(_("No push of template %s awaits approval.", template.name))
            if template.push_requested_by_id == self.env.user:
                raise UserError(
                    _("You requested this push: another Integration Manager must approve it.")
                )
            for system in template.system_ids:
                for template_map in template.map_ids:
                    template_map._copy_to(system)
            template.write({"push_state": "none", "push_requested_by_id": False})
            template.message_post(
                body=_(
                    "Push approved by %(user)s and applied to %(systems)s.",
                    user=self.env.user.name,
                    systems=", ".join(template.system_ids.mapped("code")),
                )
            )

    def action_reject_push(self):
        self.write({"push_state": "none", "push_requested_by_id": False})
        for template in self:
            template.message_post(body=_("Push rejected by %s.", self.env.user.name))

    def action_view_systems(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Systems of %s", self.name),
            "res_model": "mfg.integration.system",
            "view_mode": "list,form",
            "domain": [("mfg_template_id", "=", self.id)],
        }


class MfgIntegrationMappingTemplateMap(models.Model):
    _name = "mfg.integration.mapping.template.map"
    _description = "Mapping Template Value Map"
    _order = "template_id, domain"
    _rec_name = "domain"

    template_id = fields.Many2one(
        "mfg.integration.mapping.template", required=True, ondelete="cascade", index=True
    )
    domain = fields.Char(required=True)
    description = fields.Text()
    target_model = fields.Char(string="Odoo Model")
    case_sensitive = fields.Boolean()
    default_canonical_value = fields.Char(string="Inbound Default")
    default_external_code = fields.Char(string="Outbound Default")
    line_ids = fields.One2many("mfg.integration.mapping.template.line", "map_id", "Entries")
    company_id = fields.Many2one(related="template_id.company_id", store=True, index=True)

    _sql_constraints = [
        ("domain_uniq", "unique(template_id, domain)", "The template has this domain already.")
    ]

    @api.model
    def _values_of(self, value_map):
        return {
            "domain": value_map.domain,
            **{setting: value_map[setting] for setting in MAP_SETTINGS},
            "line_ids": [
                (
                    0,
                    0,
                    {
                        "sequence": line.sequence,
                        "external_code": line.external_code,
                        "canonical_value": line.canonical_value,
                        "record_ref": entry_values(line)["record_ref"],
                        "outbound_preferred": line.outbound_preferred,
                    },
                )
                for line in value_map.line_ids
                if line.active
            ],
        }

    def _copy_to(self, system):
        """Make the system's value map of this domain say what the template
        says: created, or its settings and the template's entries updated
        (entries only the plant has are kept)."""
        self.ensure_one()
        ValueMap = self.env["mfg.integration.value.map"].with_context(active_test=False)
        value_map = ValueMap.search(
            [("system_id", "=", system.id), ("domain", "=", self.domain)], limit=1
        )
        settings = {setting: self[setting] for setting in MAP_SETTINGS}
        if not value_map:
            value_map = ValueMap.create({**settings, "system_id": system.id, "domain": self.domain})
        value_map.write({**settings, "active": True, "mfg_template_map_id": self.id})
        entries = {line.external_code: line for line in value_map.line_ids}
        for template_line in self.line_ids:
            values = {
                "sequence": template_line.sequence,
                "canonical_value": template_line.canonical_value,
                "record_ref": entry_values(template_line)["record_ref"],
                "outbound_preferred": template_line.outbound_preferred,
                "active": True,
            }
            line = entries.get(template_line.external_code)
            if line:
                line.write(values)
            else:
                value_map.line_ids = [
                    (0, 0, {**values, "external_code": template_line.external_code})
                ]
        return value_map


class MfgIntegrationMappingTemplateLine(models.Model):
    _name = "mfg.integration.mapping.template.line"
    _description = "Mapping Template Entry"
    _inherit = ["mfg.integration.record.link"]
    _order = "map_id, sequence, external_code"
    _rec_name = "external_code"

    map_id = fields.Many2one(
        "mfg.integration.mapping.template.map", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    external_code = fields.Char(required=True)
    canonical_value = fields.Char()
    record_ref = fields.Reference(selection="_selection_target_model", string="Odoo Record")
    outbound_preferred = fields.Boolean(string="Preferred Outbound")
    company_id = fields.Many2one(related="map_id.company_id", store=True)

    _sql_constraints = [
        ("code_uniq", "unique(map_id, external_code)", "This code has an entry already.")
    ]


class MfgIntegrationMappingDrift(models.TransientModel):
    """One difference between a plant's value maps and its template."""

    _name = "mfg.integration.mapping.drift"
    _description = "Mapping Drift"
    _order = "system_id, domain, external_code"

    template_id = fields.Many2one("mfg.integration.mapping.template", readonly=True)
    system_id = fields.Many2one("mfg.integration.system", readonly=True)
    domain = fields.Char(readonly=True)
    kind = fields.Selection(DRIFT_KINDS, string="Difference", readonly=True)
    external_code = fields.Char(string="Code or Setting", readonly=True)
    template_value = fields.Char(string="In the Template", readonly=True)
    system_value = fields.Char(string="In the Plant", readonly=True)
    company_id = fields.Many2one(related="system_id.company_id", store=True)

    @api.model
    def _report(self, template, systems):
        drift = self.create(
            [
                {**difference, "template_id": template.id, "system_id": system.id}
                for system in systems
                for difference in template._drift(system)
            ]
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Drift from %s", template.name),
            "res_model": self._name,
            "view_mode": "list",
            "domain": [("id", "in", drift.ids)],
            "context": {"search_default_group_system": 1},
        }


class MfgIntegrationMappingTemplateNewSystem(models.TransientModel):
    """Create a new plant's system from a template."""

    _name = "mfg.integration.mapping.template.new.system"
    _description = "New System from Mapping Template"

    template_id = fields.Many2one("mfg.integration.mapping.template", required=True)
    code = fields.Char(required=True, help="E.g. MES-02: the new plant's system.")
    name = fields.Char(required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", string="Plant", domain="[('company_id', '=', company_id)]"
    )

    def action_create(self):
        self.ensure_one()
        system = self.template_id._create_system(
            {
                "code": self.code,
                "name": self.name,
                "company_id": self.company_id.id,
                "warehouse_id": self.warehouse_id.id,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": system._name,
            "res_id": system.id,
            "view_mode": "form",
        }
