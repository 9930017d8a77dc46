"""Recurring root causes: exception summaries mined into templates (patterns.py),
so that exceptions of different fingerprints with one cause (an unmapped code
'LBR' from MES-01, 'KGM' from WMS-01) group under one pattern."""

import logging
from collections import Counter, defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from .. import patterns
from .exception import OPEN_STATES, ROOT_CAUSES

_logger = logging.getLogger(__name__)

TRENDS = [
    ("new", "New"),
    ("rising", "Rising"),
    ("steady", "Steady"),
    ("falling", "Falling"),
    ("quiet", "Quiet"),
]
# a week counts as rising (falling) when it has half again as many (a third fewer)
# occurrences as the week before, and differs by more than one occurrence
TREND_RATIO = 1.5
TREND_WINDOW = timedelta(days=7)


def new_miner():
    """The miner with the suite's settings: two leading tokens route a summary
    (depth 4), and half of a template's literal words must match."""
    return patterns.TemplateMiner(depth=4, similarity=0.5, max_children=100)


class MfgIntegrationExceptionPattern(models.Model):
    """A template that the summaries of several exceptions share: one recurring cause."""

    _name = "mfg.integration.exception.pattern"
    _description = "Recurring Exception Pattern"
    _order = "recent_occurrence_count desc, occurrence_count desc, id desc"

    name = fields.Char(
        string="Template",
        required=True,
        readonly=True,
        help="The exceptions' summary with what varies (numbers, ids, codes, references, "
        "quoted values) replaced by <*>.",
    )
    category = fields.Selection(
        selection="_selection_category", required=True, readonly=True, index=True
    )
    token_count = fields.Integer(
        readonly=True, index=True, help="Words in the template: summaries are mined by length."
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    exception_ids = fields.One2many("mfg.integration.exception", "pattern_id", readonly=True)
    exception_count = fields.Integer(
        string="Exceptions", compute="_compute_statistics", store=True, aggregator="sum"
    )
    fingerprint_count = fields.Integer(
        string="Fingerprints",
        compute="_compute_statistics",
        store=True,
        help="Distinct problems (code, system, record...) that share this cause.",
    )
    occurrence_count = fields.Integer(
        string="Occurrences", compute="_compute_statistics", store=True, aggregator="sum"
    )
    open_count = fields.Integer(
        string="Open", compute="_compute_statistics", store=True, aggregator="sum"
    )
    first_seen = fields.Datetime(compute="_compute_statistics", store=True)
    last_seen = fields.Datetime(compute="_compute_statistics", store=True)
    system_ids = fields.Many2many(
        "mfg.integration.system", compute="_compute_system_ids", string="Systems"
    )
    recent_occurrence_count = fields.Integer(
        string="Last 7 Days", compute="_compute_trend", store=True, aggregator="sum"
    )
    previous_occurrence_count = fields.Integer(
        string="7 Days Before", compute="_compute_trend", store=True, aggregator="sum"
    )
    trend = fields.Selection(
        TRENDS,
        compute="_compute_trend",
        store=True,
        index=True,
        help="Occurrences of the last 7 days against the 7 days before; refreshed by the "
        "pattern miner every day.",
    )
    worked_exception_ids = fields.Many2many(
        "mfg.integration.exception",
        compute="_compute_resolutions",
        string="Resolutions That Worked",
        help="Resolved exceptions of this pattern whose problem did not come back since.",
    )
    resolution_summary = fields.Html(
        compute="_compute_resolutions", sanitize=False, string="What Resolved It"
    )

    @api.model
    def _selection_category(self):
        return self.env["mfg.integration.incident"]._category_selection()

    @api.depends(
        "exception_ids.occurrence_count",
        "exception_ids.state",
        "exception_ids.first_seen",
        "exception_ids.last_seen",
    )
    def _compute_statistics(self):
        # aggregated in SQL: a pattern may hold thousands of exceptions
        Exception_ = self.env["mfg.integration.exception"]
        ids = [pid for pid in self.ids if pid]
        domain = [("pattern_id", "in", ids)]
        totals = {
            pattern.id: rest
            for pattern, *rest in Exception_._read_group(
                domain,
                ["pattern_id"],
                [
                    "__count",
                    "fingerprint:count_distinct",
                    "occurrence_count:sum",
                    "first_seen:min",
                    "last_seen:max",
                ],
            )
        }
        open_counts = dict(
            Exception_._read_group(
                domain + [("state", "in", OPEN_STATES)], ["pattern_id"], ["__count"]
            )
        )
        for pattern in self:
            count, fingerprints, occurrences, first_seen, last_seen = totals.get(
                pattern.id, (0, 0, 0, False, False)
            )
            pattern.exception_count = count
            pattern.fingerprint_count = fingerprints
            pattern.occurrence_count = occurrences
            pattern.open_count = open_counts.get(pattern, 0)
            pattern.first_seen = first_seen
            pattern.last_seen = last_seen

    @api.depends("exception_ids.system_id")
    def _compute_system_ids(self):
        for pattern in self:
            pattern.system_ids = pattern.exception_ids.system_id

    @api.depends("exception_ids.occurrence_count")
    def _compute_trend(self):
        now = fields.Datetime.now()
        recent = self._occurrences_between(now - TREND_WINDOW)
        previous = self._occurrences_between(now - 2 * TREND_WINDOW, now - TREND_WINDOW)
        for pattern in self:
            pattern.recent_occurrence_count = recent.get(pattern.id, 0)
            pattern.previous_occurrence_count = previous.get(pattern.id, 0)
            pattern.trend = _trend(
                pattern.recent_occurrence_count, pattern.previous_occurrence_count
            )

    def _occurrences_between(self, start, end=None):
        """{pattern id: occurrences seen in [start, end)}, or since start."""
        ids = [pid for pid in self.ids if pid]
        if not ids:
            return {}
        domain = [("exception_id.pattern_id", "in", ids), ("seen_at", ">=", start)]
        if end:
            domain.append(("seen_at", "<", end))
        rows = self.env["mfg.integration.exception.occurrence"]._read_group(
            domain,
            ["exception_id"],
            ["__count"],
        )
        counts = defaultdict(int)
        for exception, count in rows:
            counts[exception.pattern_id.id] += count
        return counts

    @api.depends("exception_ids.state", "exception_ids.resolution_note")
    def _compute_resolutions(self):
        for pattern in self:
            worked = pattern._worked_exceptions()
            pattern.worked_exception_ids = worked
            pattern.resolution_summary = _resolution_table(worked)

    def _worked_exceptions(self):
        """Resolved exceptions of the pattern, newest first, whose fingerprint
        did not open again after they were resolved (a reopened one is not
        resolved any more)."""
        self.ensure_one()
        exceptions = self.exception_ids
        latest_opened = {}
        for exception in exceptions:
            latest = latest_opened.get(exception.fingerprint)
            if not latest or exception.first_seen > latest:
                latest_opened[exception.fingerprint] = exception.first_seen
        worked = exceptions.filtered(
            lambda e: e.state == "resolved"
            and e.resolved_at
            and latest_opened[e.fingerprint] <= e.resolved_at
        )
        return worked.sorted("resolved_at", reverse=True)

    # ------------------------------------------------------------------
    # Mining
    # ------------------------------------------------------------------
    @api.model
    def _mine(self, exceptions, rebuild=False):
        """Link each exception to the pattern of its summary, creating patterns
        and generalizing their templates as the miner decides.

        Summaries are mined per company and category, oldest first. With
        ``rebuild``, the templates are mined again from these exceptions alone
        (the patterns that no exception keeps are deleted); otherwise the
        exceptions join the existing patterns."""
        Pattern = self.sudo()
        exceptions = (
            exceptions.sudo()
            .filtered(lambda e: patterns.tokenize(e.name))
            .sorted(lambda e: (e.first_seen, e.id))
        )
        groups = defaultdict(lambda: self.env["mfg.integration.exception"].sudo())
        for exception in exceptions:
            company = exception.company_id or self.env.company
            groups[(company.id, exception.category)] |= exception
        touched = Pattern
        for (company_id, category), members in groups.items():
            touched |= Pattern._mine_group(company_id, category, members, rebuild)
        return touched

    @api.model
    def _mine_group(self, company_id, category, exceptions, rebuild):
        existing = self.search([("company_id", "=", company_id), ("category", "=", category)])
        miner = new_miner()
        if not rebuild:
            lengths = {len(patterns.tokenize(e.name)) for e in exceptions}
            for pattern in existing.filtered(lambda p: p.token_count in lengths):
                miner.load(pattern.name, key=pattern.id)
        for exception in exceptions:
            miner.add(exception.name, member=exception.id)
        by_template = {pattern.name: pattern for pattern in existing}
        used = self.browse()
        for cluster in miner.clusters:
            if cluster.key:
                pattern = self.browse(cluster.key)
                if pattern.name != cluster.template:
                    pattern.name = cluster.template
            elif not cluster.members:
                continue
            else:
                pattern = by_template.get(cluster.template) or self.create(
                    {
                        "name": cluster.template,
                        "token_count": len(cluster.tokens),
                        "category": category,
                        "company_id": company_id,
                    }
                )
            members = self.env["mfg.integration.exception"].browse(cluster.members)
            members.filtered(lambda e, p=pattern: e.pattern_id != p).pattern_id = pattern
            used |= pattern
        # a generalized template may now equal another pattern's: one pattern each
        by_name = defaultdict(lambda: self.browse())
        for pattern in used:
            by_name[pattern.name] |= pattern
        for same in by_name.values():
            keeper = same.sorted("id")[:1]
            for duplicate in same - keeper:
                duplicate.exception_ids.pattern_id = keeper
            (same - keeper).unlink()
            used -= same - keeper
        if rebuild:
            (existing - used).filtered(lambda p: not p.exception_ids).unlink()
        return used

    @api.model
    def _cron_mine(self):
        """Mine the exceptions no pattern holds yet (those recorded before the
        miner existed, or whose mining failed) and refresh every pattern's
        weekly trend, which moves with the calendar."""
        unlinked = self.env["mfg.integration.exception"].sudo().search([("pattern_id", "=", False)])
        self._mine(unlinked)
        self._refresh_trends()
        return True

    @api.model
    def _refresh_trends(self):
        active = self.sudo().search(
            [
                "|",
                ("last_seen", ">=", fields.Datetime.now() - 2 * TREND_WINDOW),
                ("trend", "!=", "quiet"),
            ]
        )
        for fname in ("recent_occurrence_count", "previous_occurrence_count", "trend"):
            self.env.add_to_compute(self._fields[fname], active)
        active.flush_recordset()
        return active

    def action_remine(self):
        """Mine every exception of the patterns' companies again from scratch:
        after the masking or the threshold changed, or to merge patterns."""
        _check_manager(self.env)
        companies = self.company_id or self.env.companies
        exceptions = (
            self.env["mfg.integration.exception"]
            .sudo()
            .search([("company_id", "in", companies.ids)])
        )
        self._mine(exceptions, rebuild=True)
        # the patterns of a category that has no exception any more go too
        self.sudo().search(
            [("company_id", "in", companies.ids), ("exception_ids", "=", False)]
        ).unlink()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_open_exceptions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Exceptions: %s", self.name[:60]),
            "res_model": "mfg.integration.exception",
            "view_mode": "list,kanban,form,pivot",
            "domain": [("pattern_id", "=", self.id)],
        }

    def action_open_worked(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Resolutions that worked"),
            "res_model": "mfg.integration.exception",
            "view_mode": "list,form",
            "domain": [("id", "in", self.worked_exception_ids.ids)],
        }


class MfgIntegrationException(models.Model):
    _inherit = "mfg.integration.exception"

    pattern_id = fields.Many2one(
        "mfg.integration.exception.pattern",
        string="Pattern",
        readonly=True,
        index=True,
        ondelete="set null",
        help="The recurring cause: exceptions whose summaries differ only in numbers, ids, "
        "codes or references.",
    )
    pattern_exception_count = fields.Integer(
        related="pattern_id.exception_count", string="Same Pattern"
    )

    def _mine_pattern(self):
        """Link new exceptions to their pattern. Mining never fails the report
        that opened them: on error they stay unlinked for the daily miner."""
        try:
            with self.env.cr.savepoint():
                self.env["mfg.integration.exception.pattern"]._mine(self)
        except Exception:
            _logger.exception("Could not mine the pattern of exceptions %s", self.ids)

    def action_open_pattern_exceptions(self):
        self.ensure_one()
        return self.pattern_id.action_open_exceptions()

    def action_mine_patterns(self):
        """Mine the selected exceptions again into the existing patterns."""
        _check_manager(self.env)
        self.env["mfg.integration.exception.pattern"]._mine(self)
        return True


def _check_manager(env):
    if not env.user.has_group("mfg_integration_core.group_integration_manager"):
        raise AccessError(_("Only integration managers mine exception patterns."))


def _trend(recent, previous):
    if not recent and not previous:
        return "quiet"
    if not previous:
        return "new"
    if recent >= previous * TREND_RATIO and recent - previous > 1:
        return "rising"
    if recent * TREND_RATIO <= previous and previous - recent > 1:
        return "falling"
    return "steady"


def _resolution_table(worked):
    """The distinct resolutions of a pattern, most frequent first."""
    if not worked:
        return False
    causes = dict(ROOT_CAUSES)
    counts = Counter(
        ((e.resolution_note or "").strip(), e.root_cause or "") for e in worked if e.resolution_note
    )
    latest = {}
    for exception in worked:  # newest first
        latest.setdefault(
            ((exception.resolution_note or "").strip(), exception.root_cause or ""), exception
        )
    rows = Markup("").join(
        Markup(
            "<tr><td>%s</td><td>%s</td><td class='text-end'>%s</td>"
            "<td><a href='/odoo/mfg.integration.exception/%s'>%s</a></td></tr>"
        )
        % (
            note,
            causes.get(cause, ""),
            times,
            latest[(note, cause)].id,
            latest[(note, cause)].display_name,
        )
        for (note, cause), times in counts.most_common()
    )
    return Markup(
        "<table class='table table-sm'><thead><tr><th>%s</th><th>%s</th>"
        "<th class='text-end'>%s</th><th>%s</th></tr></thead><tbody>%s</tbody></table>"
    ) % (_("Resolution"), _("Root cause"), _("Times"), _("Latest"), rows)
