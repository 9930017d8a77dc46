import hashlib
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

CATEGORIES = [
    ("delivery_failed", "Delivery failed"),
    ("inbound_failed", "Inbound message failed"),
    ("unmapped_code", "Unmapped code"),
    ("unknown_reference", "Unknown reference"),
    ("validation_error", "Validation error"),
    ("production_variance", "Production variance"),
    ("inventory_discrepancy", "Inventory discrepancy"),
    ("quality_hold", "Quality hold"),
    ("stale_update", "Stale update"),
    ("other", "Other"),
]
SEVERITIES = [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")]
STATES = [
    ("new", "New"),
    ("in_progress", "In Progress"),
    ("waiting", "Waiting"),
    ("escalated", "Escalated"),
    ("resolved", "Resolved"),
    ("ignored", "Ignored"),
]
OPEN_STATES = ("new", "in_progress", "waiting", "escalated")


class MfgIntegrationExceptionRule(models.Model):
    """SLA and owner of exceptions, by category, severity and system."""

    _name = "mfg.integration.exception.rule"
    _description = "Exception SLA Rule"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    category = fields.Selection(CATEGORIES, help="Empty: any category.")
    severity = fields.Selection(SEVERITIES, help="Empty: any severity.")
    system_id = fields.Many2one("mfg.integration.system", help="Empty: any system.")
    resolve_within_hours = fields.Float(required=True, default=24)
    user_id = fields.Many2one("res.users", string="Assign to")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)

    def _matches(self, exception):
        self.ensure_one()
        return (
            (not self.category or self.category == exception.category)
            and (not self.severity or self.severity == exception.severity)
            and (not self.system_id or self.system_id == exception.system_id)
            and (not self.company_id or self.company_id == exception.company_id)
        )


class MfgIntegrationException(models.Model):
    """Something that went wrong between Odoo and the plant's systems."""

    _name = "mfg.integration.exception"
    _description = "Integration Exception"
    _inherit = ["mail.thread", "mail.activity.mixin", "mfg.integration.record.link"]
    _order = "state_sequence, sla_deadline, id desc"

    name = fields.Char(string="Summary", required=True, tracking=True)
    category = fields.Selection(CATEGORIES, required=True, default="other", tracking=True)
    severity = fields.Selection(SEVERITIES, required=True, default="medium", tracking=True)
    state = fields.Selection(STATES, default="new", required=True, tracking=True, index=True)
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    user_id = fields.Many2one("res.users", string="Assignee", tracking=True)
    system_id = fields.Many2one("mfg.integration.system", tracking=True)
    detail = fields.Text(string="Technical Detail")
    fingerprint = fields.Char(index=True, readonly=True)
    occurrence_count = fields.Integer(string="Occurrences", default=1, readonly=True)
    first_seen = fields.Datetime(default=fields.Datetime.now, readonly=True)
    last_seen = fields.Datetime(default=fields.Datetime.now, readonly=True)
    sla_deadline = fields.Datetime(string="SLA Deadline", tracking=True)
    sla_status = fields.Selection(
        [("ok", "On time"), ("due_soon", "Due soon"), ("breached", "Breached"), ("done", "Closed")],
        compute="_compute_sla_status",
    )
    res_model = fields.Char(string="Business Model", index=True)
    res_id = fields.Many2oneReference(string="Business Record Id", model_field="res_model")
    record_ref = fields.Reference(
        selection="_selection_target_model", compute="_compute_refs", string="Business Record"
    )
    source_model = fields.Char(help="What failed: a delivery, an inbound batch item...")
    source_id = fields.Many2oneReference(model_field="source_model")
    source_ref = fields.Reference(
        selection="_selection_target_model", compute="_compute_refs", string="Failed Message"
    )
    job_uuid = fields.Char(string="Job")
    resolution_note = fields.Text(tracking=True)
    root_cause = fields.Selection(
        [
            ("mapping", "Missing mapping"),
            ("master_data", "Master data"),
            ("receiver", "Receiving system"),
            ("sender", "Sending system"),
            ("process", "Process"),
            ("configuration", "Configuration"),
            ("other", "Other"),
        ],
        tracking=True,
    )
    ignore_reason = fields.Text(tracking=True)
    resolved_at = fields.Datetime(readonly=True)
    resolution_hours = fields.Float(
        string="Time to Resolve (h)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    color = fields.Integer(compute="_compute_sla_status")

    @api.depends("state")
    def _compute_state_sequence(self):
        order = {state: index for index, (state, _label) in enumerate(STATES)}
        for record in self:
            record.state_sequence = order.get(record.state, 99)

    @api.depends("res_model", "res_id", "source_model", "source_id")
    def _compute_refs(self):
        for record in self:
            record.record_ref = (
                f"{record.res_model},{record.res_id}"
                if record.res_model in self.env and record.res_id
                else False
            )
            record.source_ref = (
                f"{record.source_model},{record.source_id}"
                if record.source_model in self.env and record.source_id
                else False
            )

    @api.depends("sla_deadline", "state")
    def _compute_sla_status(self):
        now = fields.Datetime.now()
        colors = {"ok": 10, "due_soon": 2, "breached": 1, "done": 0}
        for record in self:
            if record.state not in OPEN_STATES:
                status = "done"
            elif not record.sla_deadline or record.sla_deadline > now + timedelta(hours=2):
                status = "ok"
            elif record.sla_deadline > now:
                status = "due_soon"
            else:
                status = "breached"
            record.sla_status = status
            record.color = colors[status]

    # ------------------------------------------------------------------
    # The one service every source calls
    # ------------------------------------------------------------------
    @api.model
    def _report(
        self,
        category,
        summary,
        key,
        severity="medium",
        system=None,
        record=None,
        source=None,
        detail=None,
        job_uuid=None,
    ):
        """Open an exception, or count one more occurrence of the open one like it.

        :param key: what makes two occurrences the same problem (e.g. the unmapped
            code), hashed with the category and system into the fingerprint
        """
        fingerprint = hashlib.sha256(
            f"{category}|{system.id if system else 0}|{key}".encode()
        ).hexdigest()[:32]
        Exception_ = self.sudo()
        existing = Exception_.search(
            [("fingerprint", "=", fingerprint), ("state", "in", OPEN_STATES)], limit=1
        )
        if existing:
            existing.write(
                {
                    "occurrence_count": existing.occurrence_count + 1,
                    "last_seen": fields.Datetime.now(),
                    "detail": detail or existing.detail,
                }
            )
            return existing
        values = {
            "name": summary[:250],
            "category": category,
            "severity": severity,
            "system_id": system.id if system else False,
            "fingerprint": fingerprint,
            "detail": detail,
            "job_uuid": job_uuid,
            "company_id": (system.company_id if system else self.env.company).id,
        }
        if record:
            values.update(res_model=record._name, res_id=record.id)
        if source:
            values.update(source_model=source._name, source_id=source.id)
        exception = Exception_.create(values)
        exception._apply_rule()
        return exception

    def _apply_rule(self):
        rules = self.env["mfg.integration.exception.rule"].sudo().search([])
        for record in self:
            rule = next((r for r in rules if r._matches(record)), None)
            if not rule:
                continue
            record.sla_deadline = record.first_seen + timedelta(hours=rule.resolve_within_hours)
            if rule.user_id and not record.user_id:
                record.user_id = rule.user_id
            if record.user_id:
                record.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=record.user_id.id,
                    date_deadline=record.sla_deadline.date(),
                    summary=_("Resolve: %s", record.name[:100]),
                )

    # ------------------------------------------------------------------
    # Resolving
    # ------------------------------------------------------------------
    def _close(self, state, values, message):
        now = fields.Datetime.now()
        for record in self:
            record.write(
                {
                    **values,
                    "state": state,
                    "resolved_at": now,
                    "resolution_hours": (now - record.first_seen).total_seconds() / 3600.0,
                }
            )
            record.activity_ids.action_feedback(feedback=message)
            record.message_post(body=message)

    def action_take(self):
        self.write({"state": "in_progress", "user_id": self.env.uid})

    def action_resolve(self):
        missing = self.filtered(lambda r: not r.resolution_note)
        if missing:
            raise UserError(_("Write a resolution note first (what was wrong, what fixed it)."))
        self._close("resolved", {}, _("Resolved: %s", self[:1].resolution_note or ""))

    def action_ignore(self):
        missing = self.filtered(lambda r: not r.ignore_reason)
        if missing:
            raise UserError(_("Say why the exception is ignored first."))
        self._close("ignored", {}, _("Ignored: %s", self[:1].ignore_reason or ""))

    def action_escalate(self):
        self.write({"state": "escalated", "severity": "critical"})
        for record in self:
            owner = record.system_id.owner_id or self.env.ref("base.user_admin")
            record.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=owner.id,
                summary=_("Escalated: %s", record.name[:100]),
            )

    def action_retry(self):
        """Reprocess the failed message or delivery; a success resolves the exception."""
        for record in self:
            source = record.source_ref
            if not source or not hasattr(source, "_exception_retry"):
                raise UserError(_("%s has no message to reprocess.", record.name))
            # planners may reprocess what failed without write access to the message itself
            if source.sudo()._exception_retry():
                record._close(
                    "resolved",
                    {"resolution_note": record.resolution_note or _("Reprocessed successfully.")},
                    _("The retry succeeded: resolved."),
                )
            else:
                record.message_post(
                    body=_("The retry failed again: %s", getattr(source, "last_error", "") or "")
                )
        return True
