from odoo import _, api, fields, models
from odoo.exceptions import UserError


class MfgIntegrationExceptionMapping(models.TransientModel):
    """Add the value map entry or cross-reference an exception is missing."""

    _name = "mfg.integration.exception.mapping"
    _description = "Create Mapping from an Exception"

    exception_id = fields.Many2one("mfg.integration.exception", required=True)
    system_id = fields.Many2one(related="exception_id.system_id")
    mapping_type = fields.Selection(related="exception_id.mapping_type")
    value_map_id = fields.Many2one(
        "mfg.integration.value.map", compute="_compute_target", string="Value Map"
    )
    object_type_id = fields.Many2one(
        "mfg.integration.object.type", compute="_compute_target", string="Object Type"
    )
    target_model = fields.Char(compute="_compute_target", string="Odoo Model")
    external_code = fields.Char(related="exception_id.mapping_value", string="External Code")
    res_id = fields.Many2oneReference(model_field="target_model", string="Odoo Record")
    canonical_value = fields.Char(
        help="For value maps without an Odoo model: the suite's own value, e.g. 'in_progress'."
    )

    @api.depends("exception_id")
    def _compute_target(self):
        for wizard in self:
            exception = wizard.exception_id.sudo()
            wizard.value_map_id = wizard.object_type_id = wizard.target_model = False
            if exception.mapping_type == "code":
                wizard.value_map_id = self.env["mfg.integration.value.map"].search(
                    [
                        ("system_id", "=", exception.system_id.id),
                        ("domain", "=", exception.mapping_kind),
                    ],
                    limit=1,
                )
                model = wizard.value_map_id.target_model
            else:
                wizard.object_type_id = self.env["mfg.integration.object.type"].search(
                    [("code", "=", exception.mapping_kind)], limit=1
                )
                model = wizard.object_type_id.model
            wizard.target_model = model or False

    def _create_mapping(self):
        self.ensure_one()
        exception = self.exception_id
        exception.check_access("write")
        exception._check_open()
        record = self.env[self.target_model].browse(self.res_id) if self.target_model else None
        if record is not None and not record.exists():
            raise UserError(
                _(
                    "Choose the %s record the code stands for.",
                    self.env[self.target_model]._description,
                )
            )
        if record:
            # the entry is written with sudo: it may only point where the planner can see
            record.check_access("read")
        if self.mapping_type == "code":
            if not self.value_map_id:
                raise UserError(
                    _(
                        "%(system)s has no value map for '%(domain)s'. Create it under "
                        "Integration > Value Maps first.",
                        system=exception.system_id.code,
                        domain=exception.mapping_kind,
                    )
                )
            if not (record or self.canonical_value):
                raise UserError(_("Choose the Odoo record or type the canonical value."))
            # planners add exactly the entry the exception asks for, nothing else; the
            # audit trail still names them
            created = (
                self.env["mfg.integration.value.map.line"]
                .sudo()
                .create(
                    {
                        "map_id": self.value_map_id.id,
                        "external_code": self.external_code,
                        "canonical_value": self.canonical_value,
                        "record_ref": f"{record._name},{record.id}" if record else False,
                    }
                )
            )
            what = _("Value map %(map)s: '%(code)s' now stands for %(value)s.")
        else:
            if not self.object_type_id:
                raise UserError(_("Unknown object type '%s'.", exception.mapping_kind))
            if not record:
                raise UserError(_("%s cannot be mapped to a record.", exception.mapping_kind))
            known = self.env["mfg.integration.mapping"].external_id_of(
                exception.system_id, record, self.object_type_id.code, raise_if_missing=False
            )
            if known:
                raise UserError(
                    _(
                        "%(record)s already has the external id '%(known)s' in %(system)s. "
                        "Correct that cross-reference under Integration > Cross-References, "
                        "or choose another record.",
                        record=record.display_name,
                        known=known,
                        system=exception.system_id.code,
                    )
                )
            created = (
                self.env["mfg.integration.xref"]
                .sudo()
                .create(
                    {
                        "system_id": exception.system_id.id,
                        "object_type_id": self.object_type_id.id,
                        "external_id": self.external_code,
                        "res_id": record.id,
                    }
                )
            )
            what = _("Cross-reference %(map)s: '%(code)s' now stands for %(value)s.")
        exception.message_post(
            body=what
            % {
                "map": self.value_map_id.name or self.object_type_id.display_name,
                "code": self.external_code,
                "value": record.display_name if record else self.canonical_value,
            }
        )
        if exception.state == "new":
            exception.action_take()
        exception.write(
            {
                "root_cause": "mapping",
                "resolution_note": _("Added the missing mapping for '%s'.", self.external_code),
            }
        )
        return created

    def action_create(self):
        self._create_mapping()
        return {"type": "ir.actions.act_window_close"}

    def action_create_and_retry(self):
        """Save the mapping, then reprocess what failed; without a stored message (a
        synchronous request), the sender's next request passes: resolve now."""
        self._create_mapping()
        exception = self.exception_id
        if exception._retryable_occurrences():
            exception.action_retry()
        else:
            exception._resolve_after_retry(
                _("Mapping added; the sender's next request passes: resolved.")
            )
        return {"type": "ir.actions.act_window_close"}
