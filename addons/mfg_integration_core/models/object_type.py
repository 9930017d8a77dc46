import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class MfgIntegrationObjectType(models.Model):
    """A canonical business object that systems identify by their own ids."""

    _name = "mfg.integration.object.type"
    _inherit = ["mfg.integration.mapping.source"]
    _description = "Canonical Object Type"
    _order = "sequence, code"
    _rec_names_search = ["code", "name"]

    code = fields.Char(required=True, help="Stable technical name, e.g. product, uom, lot.")
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    model = fields.Char(
        string="Odoo Model",
        help="Technical name of the Odoo model its records live in, e.g. product.product. "
        "Empty for types that are only codes (status codes).",
    )
    model_id = fields.Many2one("ir.model", compute="_compute_model_id", string="Model (installed)")
    model_installed = fields.Boolean(compute="_compute_model_id")
    external_id_pattern = fields.Char(
        help="Optional regular expression that every external id of this type must "
        r"match in full, e.g. ^[A-Z]{3}-\d{6}$.",
    )
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "An object type with this code already exists."),
    ]

    @api.depends("model")
    def _compute_model_id(self):
        for object_type in self:
            model = self.env["ir.model"]._get(object_type.model) if object_type.model else False
            object_type.model_id = model
            object_type.model_installed = bool(model)

    @api.constrains("external_id_pattern")
    def _check_external_id_pattern(self):
        for object_type in self.filtered("external_id_pattern"):
            try:
                re.compile(object_type.external_id_pattern)
            except re.error as error:
                raise ValidationError(
                    _(
                        "The external id pattern of object type '%(type)s' is not a valid "
                        "regular expression: %(error)s",
                        type=object_type.code,
                        error=error,
                    )
                ) from error

    @api.model
    def _find(self, object_type):
        """Return the object type for a record or a code."""
        if isinstance(object_type, models.BaseModel):
            return object_type
        return self.with_context(active_test=False).search([("code", "=", object_type)], limit=1)

    def _check_external_id(self, external_id):
        """Raise ValidationError when external_id does not fit this type's pattern."""
        self.ensure_one()
        if self.external_id_pattern and not re.fullmatch(self.external_id_pattern, external_id):
            raise ValidationError(
                _(
                    "External id '%(value)s' does not match the pattern %(pattern)s "
                    "of object type '%(type)s'.",
                    value=external_id,
                    pattern=self.external_id_pattern,
                    type=self.code,
                )
            )
