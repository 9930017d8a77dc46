from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .mapping import GENERATION_SEQUENCE


class MfgIntegrationXref(models.Model):
    """Identifier cross-reference: (system, object type, external id) <-> Odoo record."""

    _name = "mfg.integration.xref"
    _inherit = ["mfg.integration.mapping.source"]
    _description = "Identifier Cross-Reference"
    _order = "system_id, object_type_id, external_id"
    _rec_name = "external_id"

    system_id = fields.Many2one(
        "mfg.integration.system", required=True, ondelete="cascade", index=True
    )
    object_type_id = fields.Many2one(
        "mfg.integration.object.type", string="Object Type", required=True, ondelete="restrict"
    )
    external_id = fields.Char(string="External Id", required=True)
    res_model = fields.Char(
        related="object_type_id.model", store=True, string="Odoo Model", precompute=True
    )
    res_id = fields.Many2oneReference(string="Odoo Record Id", model_field="res_model", index=True)
    record_ref = fields.Reference(
        selection="_selection_target_model",
        string="Odoo Record",
        compute="_compute_record_ref",
        inverse="_inverse_record_ref",
    )
    company_id = fields.Many2one(related="system_id.company_id", store=True, index=True)
    note = fields.Char()

    _sql_constraints = [
        (
            "external_id_uniq",
            "unique(system_id, object_type_id, external_id)",
            "This external id is already cross-referenced for this system and object type.",
        ),
        (
            "record_uniq",
            "unique(system_id, object_type_id, res_id)",
            "This Odoo record already has an external id for this system and object type.",
        ),
    ]

    def init(self):
        self.env.cr.execute(
            SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(GENERATION_SEQUENCE))
        )

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for xref in self:
            xref.record_ref = (
                f"{xref.res_model},{xref.res_id}" if xref.res_model and xref.res_id else False
            )

    def _inverse_record_ref(self):
        # record_ref is turned into res_id by create() and write()
        return

    def _record_ref_to_res_id(self, vals, object_type):
        """Replace a record_ref value ("model,id" or a record) by res_id."""
        if "record_ref" not in vals:
            return vals
        vals = dict(vals)
        ref = vals.pop("record_ref")
        if isinstance(ref, str) and "," in ref:
            model, res_id = ref.split(",", 1)
            ref = self.env[model].browse(int(res_id)) if model in self.env else None
        if ref and ref._name != object_type.model:
            raise ValidationError(
                _(
                    "Object type '%(type)s' maps to %(model)s records, not to %(other)s.",
                    type=object_type.code,
                    model=object_type.model,
                    other=ref._name,
                )
            )
        vals["res_id"] = ref.id if ref else False
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        ObjectType = self.env["mfg.integration.object.type"]
        vals_list = [
            self._record_ref_to_res_id(vals, ObjectType.browse(vals.get("object_type_id")))
            for vals in vals_list
        ]
        return super().create(vals_list)

    def write(self, vals):
        if "record_ref" in vals:
            object_types = (
                self.env["mfg.integration.object.type"].browse(vals.get("object_type_id"))
                or self.object_type_id
            )
            for object_type in object_types:
                vals = self._record_ref_to_res_id(vals, object_type)
        return super().write(vals)

    @api.depends("system_id", "object_type_id", "external_id")
    def _compute_display_name(self):
        for xref in self:
            xref.display_name = (
                f"{xref.system_id.code} / {xref.object_type_id.code} / {xref.external_id}"
            )

    @api.constrains("object_type_id", "external_id", "res_id")
    def _check_target(self):
        for xref in self:
            object_type = xref.object_type_id
            object_type._check_external_id(xref.external_id)
            if xref.external_id != xref.external_id.strip():
                raise ValidationError(
                    _("External id '%s' has leading or trailing spaces.", xref.external_id)
                )
            if not object_type.model_installed:
                raise ValidationError(
                    _(
                        "Object type '%(type)s' is not bound to an installed Odoo model "
                        "(model: %(model)s); its codes belong in a value map.",
                        type=object_type.code,
                        model=object_type.model or _("none"),
                    )
                )
            if not xref.res_id:
                raise ValidationError(
                    _("Cross-reference %s has no Odoo record.", xref.display_name)
                )
            record = self.env[xref.res_model].sudo().browse(xref.res_id).exists()
            if not record:
                raise ValidationError(
                    _(
                        "Cross-reference %(xref)s points to %(model)s record %(id)s, "
                        "which does not exist.",
                        xref=xref.display_name,
                        model=xref.res_model,
                        id=xref.res_id,
                    )
                )
            record_company = "company_id" in record._fields and record.company_id
            if record_company and record_company != xref.company_id:
                raise ValidationError(
                    _(
                        "Cross-reference %(xref)s points to a record of company %(rc)s, "
                        "but system %(system)s belongs to company %(sc)s.",
                        xref=xref.display_name,
                        rc=record_company.name,
                        system=xref.system_id.code,
                        sc=xref.company_id.name,
                    )
                )
