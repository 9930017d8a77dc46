import hashlib
from collections import Counter
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.mfg_integration_core.models.incident import SEVERITIES

STATES = [
    ("new", "New"),
    ("in_progress", "In Progress"),
    ("waiting", "Waiting"),
    ("escalated", "Escalated"),
    ("resolved", "Resolved"),
    ("ignored", "Ignored"),
]
OPEN_STATES = ("new", "in_progress", "waiting", "escalated")
ROOT_CAUSES = [
    ("mapping", "Missing mapping"),
    ("master_data", "Master data"),
    ("receiver", "Receiving system"),
    ("sender", "Sending system"),
    ("process", "Process"),
    ("configuration", "Configuration"),
    ("other", "Other"),
]


class MfgIntegrationExceptionTeam(models.Model):
    """The people who share the exceptions of some categories or systems."""

    _name = "mfg.integration.exception.team"
    _description = "Exception Team"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    user_ids = fields.Many2many("res.users", string="Members")
    leader_id = fields.Many2one("res.users", string="Leader", help="Receives escalations.")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    active = fields.Boolean(default=True)


class MfgIntegrationExceptionRule(models.Model):
    """SLA and owner of exceptions, by category, severity and system."""

    _name = "mfg.integration.exception.rule"
    _description = "Exception SLA Rule"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    category = fields.Selection(
        selection="_selection_category",
        help="Empty: any category. The categories are those of the installed sources.",
    )
    severity = fields.Selection(SEVERITIES, help="Empty: any severity.")
    system_id = fields.Many2one("mfg.integration.system", help="Empty: any system.")
    resolve_within_hours = fields.Float(required=True, default=24)
    user_id = fields.Many2one("res.users", string="Assign to")
    team_id = fields.Many2one("mfg.integration.exception.team", string="Team")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)

    @api.model
    def _selection_category(self):
        return self.env["mfg.integration.incident"]._category_selection()

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
    category = fields.Selection(
        selection="_selection_category", required=True, default="other", tracking=True
    )
    severity = fields.Selection(SEVERITIES, required=True, default="medium", tracking=True)
    state = fields.Selection(STATES, default="new", required=True, tracking=True, index=True)
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    user_id = fields.Many2one("res.users", string="Assignee", tracking=True, index=True)
    team_id = fields.Many2one("mfg.integration.exception.team", string="Team", tracking=True)
    system_id = fields.Many2one("mfg.integration.system", tracking=True, index=True)
    detail = fields.Text(string="Technical Detail")
    fingerprint = fields.Char(index=True, readonly=True)
    occurrence_count = fields.Integer(string="Occurrences", default=1, readonly=True)
    occurrence_ids = fields.One2many(
        "mfg.integration.exception.occurrence", "exception_id", readonly=True
    )
    first_seen = fields.Datetime(default=fields.Datetime.now, readonly=True)
    last_seen = fields.Datetime(default=fields.Datetime.now, readonly=True)
    sla_deadline = fields.Datetime(string="SLA Deadline", tracking=True)
    sla_status = fields.Selection(
        [("ok", "On time"), ("due_soon", "Due soon"), ("breached", "Breached"), ("done", "Closed")],
        string="SLA Status",
        compute="_compute_sla_status",
    )
    sla_breached = fields.Boolean(
        string="SLA Breached",
        readonly=True,
        index=True,
        help="Open past its deadline, or closed after it. Set by the SLA check every few "
        "minutes and when the exception is closed.",
    )
    breach_count = fields.Integer(
        string="SLA Breaches", compute="_compute_breach_count", store=True, aggregator="sum"
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
    correlation_id = fields.Char(string="Correlation Id", index=True)
    log_count = fields.Integer(compute="_compute_log_count", string="Exchanged Messages")
    mapping_type = fields.Selection(
        [("code", "Value map entry"), ("reference", "Cross-reference")],
        readonly=True,
        help="What the exception needs: the missing entry is created by Create Mapping.",
    )
    mapping_kind = fields.Char(
        string="Mapping Domain", readonly=True, help="Value map domain or object type code."
    )
    mapping_value = fields.Char(string="Unmapped Value", readonly=True)
    resolution_note = fields.Text(tracking=True)
    root_cause = fields.Selection(ROOT_CAUSES, tracking=True)
    ignore_reason = fields.Text(tracking=True)
    resolved_at = fields.Datetime(readonly=True)
    resolution_hours = fields.Float(
        string="Time to Resolve (h)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    suggestion = fields.Html(
        string="Suggested Resolution", compute="_compute_suggestion", sanitize=False
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    color = fields.Integer(compute="_compute_sla_status")

    @api.model
    def _selection_category(self):
        """The categories every installed source declares on the incident service."""
        return self.env["mfg.integration.incident"]._category_selection()

    @api.depends("state")
    def _compute_state_sequence(self):
        order = {state: index for index, (state, _label) in enumerate(STATES)}
        for record in self:
            record.state_sequence = order.get(record.state, 99)

    @api.depends("sla_breached")
    def _compute_breach_count(self):
        for record in self:
            record.breach_count = int(record.sla_breached)

    @api.depends("res_model", "res_id", "source_model", "source_id")
    def _compute_refs(self):
        for record in self:
            record.record_ref = _reference(self.env, record.res_model, record.res_id)
            record.source_ref = _reference(self.env, record.source_model, record.source_id)

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

    @api.depends("occurrence_ids.correlation_id")
    def _compute_log_count(self):
        Log = self.env["mfg.integration.message.log"]
        ids = [cid for cid in self.mapped("occurrence_ids.correlation_id") if cid]
        counts = dict(
            Log._read_group([("correlation_id", "in", ids)], ["correlation_id"], ["__count"])
        )
        for record in self:
            record.log_count = sum(
                counts.get(cid, 0) for cid in set(record.occurrence_ids.mapped("correlation_id"))
            )

    @api.depends("fingerprint", "state", "pattern_id")
    def _compute_suggestion(self):
        """How earlier exceptions like this one were resolved, most frequent
        first: those of the same fingerprint, else those of the same pattern
        (the same cause with another code, id or system)."""
        for record in self:
            record.suggestion = False
            if not record.fingerprint or record.state not in OPEN_STATES:
                continue
            earlier = self.search(
                [
                    ("fingerprint", "=", record.fingerprint),
                    ("state", "=", "resolved"),
                    ("id", "!=", record.id),
                ],
                order="resolved_at desc",
                limit=50,
            )
            if earlier:
                record.suggestion = _suggestion_html(earlier)
                continue
            if not record.pattern_id:
                continue
            earlier = self.search(
                [
                    ("pattern_id", "=", record.pattern_id.id),
                    ("fingerprint", "!=", record.fingerprint),
                    ("state", "=", "resolved"),
                ],
                order="resolved_at desc",
                limit=50,
            )
            if earlier:
                record.suggestion = _suggestion_html(earlier, pattern=record.pattern_id)

    # ------------------------------------------------------------------
    # Opening and settling (called by the incident service, models/incident.py)
    # ------------------------------------------------------------------
    @api.model
    def _record_incident(
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
        correlation_id=None,
        mapping=None,
    ):
        """Open an exception, or count one more occurrence of the open one like it.
        The parameters are those of ``mfg.integration.incident._report``: the key
        is hashed with the category and system into the fingerprint."""
        fingerprint = hashlib.sha256(
            f"{category}|{system.id if system else 0}|{key}".encode()
        ).hexdigest()[:32]
        Exception_ = self.sudo()
        occurrence = {
            "source_model": source._name if source else False,
            "source_id": source.id if source else False,
            "job_uuid": job_uuid,
            "correlation_id": correlation_id,
            "detail": detail,
        }
        existing = Exception_.search(
            [("fingerprint", "=", fingerprint), ("state", "in", OPEN_STATES)], limit=1
        )
        if existing:
            existing.write(
                {
                    "occurrence_count": existing.occurrence_count + 1,
                    "last_seen": fields.Datetime.now(),
                    "detail": detail or existing.detail,
                    "occurrence_ids": [fields.Command.create(occurrence)],
                }
            )
            if existing.state == "waiting":
                # a queued retry failed again: it is the planner's turn
                existing.state = "in_progress"
                existing.message_post(body=_("The retry failed again: %s", summary))
            return existing
        values = {
            "name": summary[:250],
            "category": category,
            "severity": severity,
            "system_id": system.id if system else False,
            "fingerprint": fingerprint,
            "detail": detail,
            "job_uuid": job_uuid,
            "correlation_id": correlation_id,
            "company_id": (system.company_id if system else self.env.company).id,
            "occurrence_ids": [fields.Command.create(occurrence)],
        }
        if mapping:
            values.update(
                zip(("mapping_type", "mapping_kind", "mapping_value"), mapping, strict=True)
            )
        if record:
            values.update(res_model=record._name, res_id=record.id)
        if source:
            values.update(source_model=source._name, source_id=source.id)
        exception = Exception_.create(values)
        exception._apply_rule()
        exception._mine_pattern()
        return exception

    @api.model
    def _settle_sources(self, sources):
        """Failed items that succeeded since settle their occurrences; an open
        exception whose occurrences are all settled resolves itself."""
        occurrences = (
            self.env["mfg.integration.exception.occurrence"]
            .sudo()
            .search(
                [
                    ("source_model", "=", sources._name),
                    ("source_id", "in", sources.ids),
                    ("settled", "=", False),
                ]
            )
        )
        occurrences.settled = True
        for exception in occurrences.exception_id:
            if exception.state in OPEN_STATES and all(exception.occurrence_ids.mapped("settled")):
                exception._resolve_after_retry()
        return occurrences.exception_id

    def _apply_rule(self):
        rules = self.env["mfg.integration.exception.rule"].sudo().search([])
        for record in self:
            rule = next((r for r in rules if r._matches(record)), None)
            if not rule:
                continue
            record.sla_deadline = record.first_seen + timedelta(hours=rule.resolve_within_hours)
            record.team_id = record.team_id or rule.team_id
            record.user_id = record.user_id or rule.user_id
            if record.user_id:
                record._schedule_todo(record.user_id, _("Resolve: %s", record.name[:100]))

    def _schedule_todo(self, user, summary):
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=user.id,
            date_deadline=self.sla_deadline.date() if self.sla_deadline else None,
            summary=summary,
        )

    @api.model
    def _cron_check_sla(self):
        """Mark open exceptions past their deadline, and tell their owners once."""
        breached = self.search(
            [
                ("state", "in", OPEN_STATES),
                ("sla_breached", "=", False),
                ("sla_deadline", "<", fields.Datetime.now()),
            ]
        )
        breached.sla_breached = True
        for record in breached:
            record.message_post(
                body=_("The SLA deadline %s has passed.", record.sla_deadline),
                partner_ids=record.user_id.partner_id.ids,
            )
        return breached

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
                    "sla_breached": bool(record.sla_deadline and record.sla_deadline < now),
                }
            )
            record.activity_ids.action_feedback(feedback=message)
            record.message_post(body=message)

    def _check_open(self):
        closed = self.filtered(lambda r: r.state not in OPEN_STATES)
        if closed:
            raise UserError(
                _("%s is already closed; reopen it first.", ", ".join(closed.mapped("name")))
            )

    def action_take(self):
        self._check_open()
        self.write({"state": "in_progress", "user_id": self.env.uid})
        return True

    def action_reopen(self):
        self.filtered(lambda r: r.state not in OPEN_STATES).write(
            {"state": "in_progress", "resolved_at": False, "resolution_hours": 0}
        )
        return True

    def action_resolve(self):
        self._check_open()
        missing = self.filtered(lambda r: not (r.resolution_note or "").strip())
        if missing:
            raise UserError(_("Write a resolution note first (what was wrong, what fixed it)."))
        for record in self:
            record._close("resolved", {}, _("Resolved: %s", record.resolution_note))
        return True

    def action_ignore(self):
        self._check_open()
        missing = self.filtered(lambda r: not (r.ignore_reason or "").strip())
        if missing:
            raise UserError(_("Say why the exception is ignored first."))
        for record in self:
            record._close("ignored", {}, _("Ignored: %s", record.ignore_reason))
        return True

    def action_open_close_wizard(self):
        """Resolve or ignore, with the note asked for in a dialog (form and list)."""
        self._check_open()
        mode = self.env.context.get("close_mode", "resolve")
        return {
            "type": "ir.actions.act_window",
            "name": _("Resolve") if mode == "resolve" else _("Ignore"),
            "res_model": "mfg.integration.exception.close",
            "view_mode": "form",
            "target": "new",
            "context": {"default_exception_ids": self.ids, "default_mode": mode},
        }

    def action_escalate(self):
        self._check_open()
        self.write({"state": "escalated", "severity": "critical"})
        for record in self:
            owner = (
                record.team_id.leader_id
                or record.system_id.owner_id
                or self.env.ref("base.user_admin")
            )
            record._schedule_todo(owner, _("Escalated: %s", record.name[:100]))
            record.message_post(body=_("Escalated to %s.", owner.name))
        return True

    def action_retry(self):
        """Reprocess every failed message behind the exception; resolve when all pass."""
        self._check_open()
        for record in self:
            retryable = record._retryable_occurrences()
            if not retryable:
                raise UserError(_("%s has no message to reprocess.", record.name))
            # what succeeded since (replayed elsewhere, done by itself) is not sent again
            succeeded = retryable.filtered(lambda o: o.source_ref.sudo()._integration_succeeded())
            succeeded.settled = True
            retryable -= succeeded
            if not retryable:
                record._resolve_after_retry()
                continue
            # planners may reprocess what failed without write access to the message itself
            outcomes = {occurrence: occurrence._retry() for occurrence in retryable}
            failed = [o for o, ok in outcomes.items() if ok is False]
            queued = [o for o, ok in outcomes.items() if ok is None]
            if failed:
                errors = {getattr(o.source_ref, "last_error", "") or "" for o in failed}
                record.message_post(
                    body=_(
                        "The retry failed again for %(failed)s of %(total)s message(s): "
                        "%(error)s",
                        failed=len(failed),
                        total=len(outcomes),
                        error="; ".join(sorted(e for e in errors if e)),
                    )
                )
            elif queued:
                record.state = "waiting"
                record.message_post(
                    body=_(
                        "%s message(s) queued again; the exception resolves itself when they "
                        "succeed.",
                        len(queued),
                    )
                )
            else:
                record._resolve_after_retry()
        return True

    def _retryable_occurrences(self):
        """The failed messages not yet reprocessed that know how to be."""
        Incident = self.env["mfg.integration.incident"]
        return self.occurrence_ids.filtered(
            lambda o: not o.settled and o.source_ref and Incident._is_retryable(o.source_ref)
        )

    def _resolve_after_retry(self, message=None):
        for record in self:
            record._close(
                "resolved",
                {"resolution_note": record.resolution_note or _("Reprocessed successfully.")},
                message or _("The retry succeeded: resolved."),
            )

    def action_create_mapping(self):
        self.ensure_one()
        self._check_open()
        if not self.mapping_type:
            raise UserError(_("%s is not caused by a missing mapping.", self.name))
        return {
            "type": "ir.actions.act_window",
            "name": _("Create Mapping"),
            "res_model": "mfg.integration.exception.mapping",
            "view_mode": "form",
            "target": "new",
            "context": {"default_exception_id": self.id},
        }

    def action_open_logs(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Messages"),
            "res_model": "mfg.integration.message.log",
            "view_mode": "list,form",
            "domain": [
                ("correlation_id", "in", [c for c in self.occurrence_ids.mapped("correlation_id")])
            ],
        }

    def action_open_job(self):
        self.ensure_one()
        jobs = self.env["queue.job"].sudo().search([("uuid", "=", self.job_uuid)], limit=1)
        if not jobs:
            raise UserError(_("The job %s no longer exists.", self.job_uuid))
        return {
            "type": "ir.actions.act_window",
            "res_model": "queue.job",
            "res_id": jobs.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Dashboard
    # ------------------------------------------------------------------
    @api.model
    def get_dashboard_data(self):
        """Counts for the landing page, each with the domain its tile opens."""
        now = fields.Datetime.now()
        today = fields.Datetime.to_string(fields.Datetime.today())
        open_domain = [("state", "in", OPEN_STATES)]
        month = now - timedelta(days=30)
        kpis = [
            ("open", _("Open"), open_domain),
            ("new_today", _("New today"), open_domain + [("first_seen", ">=", today)]),
            (
                "overdue",
                _("Overdue"),
                open_domain + [("sla_deadline", "<", fields.Datetime.to_string(now))],
            ),
            ("unassigned", _("Unassigned"), open_domain + [("user_id", "=", False)]),
            ("mine", _("Mine"), open_domain + [("user_id", "=", self.env.uid)]),
            (
                "resolved_week",
                _("Resolved in 7 days"),
                [("state", "=", "resolved"), ("resolved_at", ">=", now - timedelta(days=7))],
            ),
        ]
        closed_month = self.search(
            [("state", "in", ("resolved", "ignored")), ("resolved_at", ">=", month)]
        )
        categories = dict(self._fields["category"]._description_selection(self.env))
        by_category = self._read_group(open_domain, ["category"], ["__count"], order="category")
        by_system = self._read_group(open_domain, ["system_id"], ["__count", "last_seen:max"])
        recent = self.search(open_domain, order="last_seen desc", limit=8)
        return {
            "kpis": [
                {
                    "key": key,
                    "label": label,
                    "count": self.search_count(domain),
                    "domain": _jsonable(domain),
                }
                for key, label, domain in kpis
            ],
            "mean_hours_to_resolve": round(
                sum(closed_month.mapped("resolution_hours")) / len(closed_month), 1
            )
            if closed_month
            else None,
            "sla_met_pct": round(
                100.0 * len(closed_month.filtered(lambda r: not r.sla_breached)) / len(closed_month)
            )
            if closed_month
            else None,
            "by_category": [
                {
                    "label": categories.get(category, category),
                    "count": count,
                    "domain": _jsonable(open_domain + [("category", "=", category)]),
                }
                for category, count in by_category
            ],
            "by_system": [
                {
                    "label": system.display_name if system else _("No system"),
                    "count": count,
                    "last_seen": fields.Datetime.to_string(last_seen),
                    "domain": _jsonable(open_domain + [("system_id", "=", system.id or False)]),
                }
                for system, count, last_seen in sorted(by_system, key=lambda row: -row[1])
            ],
            "recent": [
                {
                    "id": record.id,
                    "name": record.name,
                    "category": categories.get(record.category),
                    "system": record.system_id.code or "",
                    "state": record.state,
                    "sla_status": record.sla_status,
                    "occurrences": record.occurrence_count,
                }
                for record in recent
            ],
        }


class MfgIntegrationExceptionOccurrence(models.Model):
    """One failed message behind an exception: what a retry reprocesses."""

    _name = "mfg.integration.exception.occurrence"
    _description = "Exception Occurrence"
    _inherit = ["mfg.integration.record.link"]
    _order = "id desc"

    exception_id = fields.Many2one(
        "mfg.integration.exception", required=True, ondelete="cascade", index=True
    )
    seen_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    source_model = fields.Char()
    source_id = fields.Many2oneReference(model_field="source_model")
    source_ref = fields.Reference(
        selection="_selection_target_model", compute="_compute_source_ref", string="Message"
    )
    job_uuid = fields.Char(string="Job", index=True)
    correlation_id = fields.Char(string="Correlation Id")
    detail = fields.Text()
    settled = fields.Boolean(help="Reprocessed successfully, or settled by itself.")
    company_id = fields.Many2one(related="exception_id.company_id", store=True)

    @api.depends("source_model", "source_id")
    def _compute_source_ref(self):
        for occurrence in self:
            occurrence.source_ref = _reference(
                self.env, occurrence.source_model, occurrence.source_id
            )

    def _retry(self):
        """True when the message went through, False when it failed, None when queued."""
        self.ensure_one()
        outcome = self.source_ref.sudo()._integration_retry()
        if outcome:
            self.settled = True
        return outcome


def _reference(env, model, res_id):
    if not (model in env and res_id):
        return False
    record = env[model].browse(res_id)
    return f"{model},{res_id}" if record.exists() else False


def _jsonable(domain):
    return [
        [left, op, fields.Datetime.to_string(right) if hasattr(right, "isoformat") else right]
        for left, op, right in domain
    ]


def _suggestion_html(earlier, pattern=None):
    """'Most often: <note> (3 of 4)', with links to the earlier exceptions;
    with ``pattern``, the earlier ones share the pattern, not the fingerprint."""
    counts = Counter(
        ((r.resolution_note or "").strip(), r.root_cause or "")
        for r in earlier
        if r.resolution_note
    )
    if not counts:
        return False
    (note, root_cause), times = counts.most_common(1)[0]
    causes = dict(ROOT_CAUSES)
    links = Markup(", ").join(
        Markup('<a href="/odoo/mfg.integration.exception/%s">%s</a>') % (r.id, r.display_name)
        for r in earlier[:5]
    )
    if pattern:
        intro = _(
            "Not this exact problem, but %(count)s exception(s) of the same pattern "
            "“%(template)s” were resolved before. Most often (%(times)s of %(count)s) "
            "with:",
            count=len(earlier),
            template=pattern.name,
            times=times,
        )
    else:
        intro = _(
            "This happened %(count)s time(s) before. Most often (%(times)s of %(count)s) "
            "it was resolved with:",
            count=len(earlier),
            times=times,
        )
    return Markup("<p>%s</p><p><b>%s</b>%s</p><p class='text-muted'>%s %s</p>") % (
        intro,
        note,
        escape(f" ({causes[root_cause]})") if root_cause else "",
        _("Earlier:"),
        links,
    )
