from odoo import _, api, fields, models

from ..commands.common import revision_key
from .events import emit, ref

RELEASE_STATES = [
    ("scheduled", "Scheduled"),
    ("released", "Released"),
    ("superseded", "Superseded"),
]


class MrpBom(models.Model):
    _inherit = "mrp.bom"

    mfg_system_id = fields.Many2one(
        "mfg.integration.system", string="Released by", copy=False, readonly=True
    )
    mfg_revision = fields.Char(string="PLM Revision", copy=False, readonly=True)
    mfg_effective_date = fields.Date(
        string="Effective From",
        copy=False,
        readonly=True,
        help="From this day the revision is the active bill of materials.",
    )
    mfg_change_number = fields.Char(string="Change Number", copy=False, readonly=True)
    mfg_change_reason = fields.Text(string="Change Reason", copy=False, readonly=True)
    mfg_release_state = fields.Selection(
        RELEASE_STATES, string="Revision Status", copy=False, readonly=True, index=True
    )
    mfg_released_at = fields.Datetime(string="Released On", copy=False, readonly=True)

    @api.model
    def _mfg_revisions(self, template, system):
        """Every revision (archived or not) that system released of an item's BoM."""
        return self.with_context(active_test=False).search(
            [
                ("product_tmpl_id", "=", template.id),
                ("mfg_system_id", "=", system.id),
                ("mfg_revision", "!=", False),
            ]
        )

    @api.model
    def _mfg_create_revision(self, template, system, values, operations, lines):
        """A new BoM for a revision, archived until its release.

        :param operations: routing values, in the order lines refer to them
        :param lines: line values; ``operation`` is an index in operations
        """
        bom = self.create(
            {
                **values,
                "product_tmpl_id": template.id,
                "type": "normal",
                "active": False,
                "mfg_system_id": system.id,
                "mfg_release_state": "scheduled",
            }
        )
        routing = self.env["mrp.routing.workcenter"].create(
            [{**operation, "bom_id": bom.id} for operation in operations]
        )
        self.env["mrp.bom.line"].create(
            [
                {
                    "bom_id": bom.id,
                    "product_id": line["product_id"],
                    "product_qty": line["product_qty"],
                    "product_uom_id": line["product_uom_id"],
                    "operation_id": routing[line["operation"]].id
                    if line["operation"] is not None
                    else False,
                }
                for line in lines
            ]
        )
        bom.message_post(
            body=_(
                "Revision %(revision)s from %(system)s, effective from %(date)s. Change "
                "%(change)s: %(reason)s",
                revision=bom.mfg_revision,
                system=system.code,
                date=bom.mfg_effective_date,
                change=bom.mfg_change_number or _("none"),
                reason=bom.mfg_change_reason or _("no reason given"),
            )
        )
        return bom

    def _mfg_release(self):
        """Make each revision the active BoM of its item: the BoMs it replaces
        are archived, never deleted, so that open manufacturing orders keep
        theirs; older revisions still waiting for their date are superseded."""
        for bom in self:
            replaced = self.search(
                [
                    ("product_tmpl_id", "=", bom.product_tmpl_id.id),
                    ("product_id", "=", bom.product_id.id),
                    ("type", "=", bom.type),
                    ("id", "!=", bom.id),
                ]
            )
            waiting = (
                self._mfg_revisions(bom.product_tmpl_id, bom.mfg_system_id).filtered(
                    lambda other, bom=bom: other.mfg_release_state == "scheduled"
                    and other != bom
                    and revision_key(other.mfg_revision) < revision_key(bom.mfg_revision)
                )
                - replaced
            )
            (replaced | waiting).write({"active": False, "mfg_release_state": "superseded"})
            for old in replaced | waiting:
                old.message_post(
                    body=_(
                        "Superseded by revision %(revision)s (change %(change)s).",
                        revision=bom.mfg_revision,
                        change=bom.mfg_change_number or _("none"),
                    )
                )
            bom.write(
                {
                    "active": True,
                    "mfg_release_state": "released",
                    "mfg_released_at": fields.Datetime.now(),
                }
            )
            bom.message_post(body=_("Released: this revision is the active bill of materials."))
            bom._mfg_emit_released(replaced.filtered("mfg_revision")[:1].mfg_revision or None)

    @api.model
    def _mfg_release_due(self):
        """Release the revisions whose effective date has come (the cron); of
        several due for one item, the latest."""
        due = self.with_context(active_test=False).search(
            [
                ("mfg_release_state", "=", "scheduled"),
                ("mfg_effective_date", "<=", fields.Date.context_today(self)),
            ]
        )
        latest = {}
        for bom in due:
            key = (bom.product_tmpl_id.id, bom.product_id.id, bom.mfg_system_id.id)
            if key not in latest or revision_key(bom.mfg_revision) > revision_key(
                latest[key].mfg_revision
            ):
                latest[key] = bom
        for bom in latest.values():
            bom._mfg_release()
        return len(latest)

    # ------------------------------------------------------------------
    # Outbound events
    # ------------------------------------------------------------------
    def _mfg_emit_released(self, previous_revision):
        self.ensure_one()
        return emit(
            self,
            "masterdata.bom.released.v1",
            {
                "bom": ref(self),
                "product": ref(self.product_tmpl_id.product_variant_id),
                "revision": self.mfg_revision,
                "previous_revision": previous_revision,
                "effective_date": fields.Date.to_string(self.mfg_effective_date),
                "change_number": self.mfg_change_number or None,
                "change_reason": self.mfg_change_reason or None,
                "quantity": self.product_qty,
                "unit": self.product_uom_id.name,
                "operations": [
                    {
                        "name": operation.name,
                        "work_center": ref(operation.workcenter_id),
                        "duration_minutes": operation.time_cycle_manual,
                        "sequence": operation.sequence,
                    }
                    for operation in self.operation_ids
                ],
                "lines": [
                    {
                        "component": ref(line.product_id),
                        "quantity": line.product_qty,
                        "unit": line.product_uom_id.name,
                        "operation": line.operation_id.name or None,
                    }
                    for line in self.bom_line_ids
                ],
            },
        )
