"""Identifiers that traffic creates: a sender's order ids, operation ids, ASN
numbers, and the last source timestamp applied to each record.

Unlike cross-references, these are not configuration: writing one neither
invalidates the mapping cache nor writes the governance audit trail, and they
grow with traffic (retention applies). The mapping engine reads them after the
cross-references, by index, without caching them.
"""

from odoo import _, api, fields, models

from ..exceptions import StateConflictError


class MfgIntegrationLink(models.Model):
    _name = "mfg.integration.link"
    _description = "Identifier Link"
    _inherit = ["mfg.integration.record.link"]
    _order = "id desc"
    _rec_name = "external_id"

    system_id = fields.Many2one(
        "mfg.integration.system", required=True, ondelete="cascade", readonly=True
    )
    object_type_id = fields.Many2one(
        "mfg.integration.object.type", required=True, ondelete="restrict", readonly=True
    )
    external_id = fields.Char(string="External Id", readonly=True)
    res_model = fields.Char(string="Odoo Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Odoo Record Id", model_field="res_model", required=True, readonly=True
    )
    record_ref = fields.Reference(
        selection="_selection_target_model", compute="_compute_record_ref", string="Odoo Record"
    )
    source_updated_at = fields.Datetime(
        string="Source Last Change",
        readonly=True,
        help="When the sender last changed this object, as it reported it; older updates "
        "are refused.",
    )
    company_id = fields.Many2one(related="system_id.company_id", store=True, index=True)

    _sql_constraints = [
        (
            "external_id_uniq",
            "unique(system_id, object_type_id, external_id)",
            "This external id is already linked for this system and object type.",
        ),
        (
            "record_uniq",
            "unique(system_id, object_type_id, res_id)",
            "This record already has a link for this system and object type.",
        ),
    ]

    def init(self):
        # the engine looks records up by (system, type, external id), the other
        # way by (system, type, record): the unique indexes above serve both
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS mfg_integration_link_res_idx "
            "ON mfg_integration_link (res_model, res_id)"
        )

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for link in self:
            link.record_ref = (
                f"{link.res_model},{link.res_id}" if link.res_model and link.res_id else False
            )

    @api.depends("system_id", "object_type_id", "external_id")
    def _compute_display_name(self):
        for link in self:
            link.display_name = (
                f"{link.system_id.code} / {link.object_type_id.code} / {link.external_id or '-'}"
            )

    @api.model
    def _link(self, system, object_type, external_id, record, source_timestamp=None):
        """Remember that `system` calls `record` `external_id` (it created it)."""
        type_record = self.env["mfg.integration.object.type"].sudo()._find(object_type)
        # what this transaction looked up before may now be found
        self.env["mfg.integration.mapping"]._forget_links()
        return self.sudo().create(
            {
                "system_id": system.id,
                "object_type_id": type_record.id,
                "external_id": external_id,
                "res_model": record._name,
                "res_id": record.id,
                "source_updated_at": source_timestamp,
            }
        )

    @api.model
    def _advance_source_time(self, system, object_type, record, when):
        """Record that the sender's update of `when` is applied to `record`.

        :raises StateConflictError: an update made later was applied already
        """
        type_record = self.env["mfg.integration.object.type"].sudo()._find(object_type)
        cr = self.env.cr
        self.flush_model()
        # the row lock makes two updates of one record apply in turn
        cr.execute(
            """SELECT id, source_updated_at FROM mfg_integration_link
                WHERE system_id = %s AND object_type_id = %s AND res_id = %s
                  FOR UPDATE""",
            [system.id, type_record.id, record.id],
        )
        row = cr.fetchone()
        if row and row[1] and when < row[1]:
            raise StateConflictError(
                _(
                    "This update was made at %(when)s UTC, before the last one applied to "
                    "%(record)s (%(last)s UTC); it is ignored.",
                    when=fields.Datetime.to_string(when),
                    record=record.display_name,
                    last=fields.Datetime.to_string(row[1]),
                ),
                last_applied=fields.Datetime.to_string(row[1]),
            )
        if row:
            self.sudo().browse(row[0]).source_updated_at = when
        else:
            mapping = self.env["mfg.integration.mapping"]
            external_id = mapping.external_id_of(
                system, record, object_type, raise_if_missing=False
            )
            self._link(system, object_type, external_id, record, when)
