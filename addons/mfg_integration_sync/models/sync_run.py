"""One run of a sync job: pages pulled, each committed with its cursor.

A page is fetched, its records run one by one through the command pipeline
(as the job's API client, like a real-time message), and the page's results,
the run's counters and the job's cursor are committed together. A run whose
worker dies resumes from the last committed cursor: no committed page is read
twice, and the page in flight is read again as if it never came.
"""

import json
import logging
import threading
import time
from datetime import timedelta

import requests

from odoo import _, api, fields, models
from odoo.tools import SQL, float_compare

from odoo.addons.mfg_integration_command.context import parse_timestamp
from odoo.addons.mfg_integration_command.problems import SERVER_KINDS, CommandProblem
from odoo.addons.mfg_integration_core.json_schema import schema_errors

_logger = logging.getLogger(__name__)

RUN_STATES = [
    ("queued", "Queued"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
]
# answers after which the same page is asked again
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
PAGE_SCHEMA = {
    "type": "object",
    "required": ["records", "next"],
    "properties": {
        "records": {"type": "array", "items": {"type": "object"}},
        "next": {
            "type": ["object", "null"],
            "required": ["updated_since", "after_id"],
            "properties": {
                "updated_since": {"type": "string", "minLength": 1},
                "after_id": {"type": "integer"},
            },
        },
    },
}
COUNTERS = ("read", "created", "updated", "unchanged", "refused", "conflict")


class SyncFailure(Exception):
    """The run cannot go on: nothing of the current page was applied."""


def cursor_text(position):
    since, after_id = position
    if after_id is None:  # a file's name
        return since
    return f"{since or '-'} #{after_id or 0}"


class MfgIntegrationSyncRun(models.Model):
    _name = "mfg.integration.sync.run"
    _description = "Batch Sync Run"
    _inherit = ["mail.thread", "mfg.integration.retryable"]
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    job_id = fields.Many2one(
        "mfg.integration.sync.job", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    system_id = fields.Many2one(related="job_id.system_id", store=True)
    state = fields.Selection(
        RUN_STATES, default="queued", required=True, readonly=True, index=True, tracking=True
    )
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    heartbeat_at = fields.Datetime(
        string="Last Commit", readonly=True, help="When the run last committed a page."
    )
    page_count = fields.Integer(string="Pages", readonly=True, aggregator="sum")
    read_count = fields.Integer(string="Read", readonly=True, aggregator="sum")
    created_count = fields.Integer(string="Created", readonly=True, aggregator="sum")
    updated_count = fields.Integer(string="Updated", readonly=True, aggregator="sum")
    unchanged_count = fields.Integer(string="Unchanged", readonly=True, aggregator="sum")
    refused_count = fields.Integer(string="Refused", readonly=True, aggregator="sum")
    conflict_count = fields.Integer(string="Conflicts", readonly=True, aggregator="sum")
    resume_count = fields.Integer(
        string="Resumed", readonly=True, help="Times the run was resumed after its worker died."
    )
    cursor_before = fields.Char(readonly=True)
    cursor_after = fields.Char(readonly=True)
    error = fields.Text(readonly=True)
    job_uuid = fields.Char(string="Queue Job UUID", readonly=True, index=True)
    queue_job_id = fields.Many2one("queue.job", compute="_compute_queue_job_id")
    issue_ids = fields.One2many("mfg.integration.sync.issue", "run_id", readonly=True)

    def _compute_name(self):
        for run in self:
            run.name = f"{run.job_id.name} #{run.id}"

    def _compute_queue_job_id(self):
        jobs = self.env["queue.job"].sudo().search([("uuid", "in", self.mapped("job_uuid"))])
        by_uuid = {job.uuid: job for job in jobs}
        for run in self:
            run.queue_job_id = by_uuid.get(run.job_uuid, False)

    # ------------------------------------------------------------------
    # Queue
    # ------------------------------------------------------------------
    def _enqueue(self):
        self.ensure_one()
        job = self.with_delay(
            channel="root.mfg_integration_sync",
            description=_("Sync run %s", self.name),
        )._process()
        self.job_uuid = job.uuid

    @api.model
    def _resume_stalled(self):
        """Enqueue again the runs whose worker died: running, no commit for
        the job's stall time, and no transaction holds them (a live run
        locks its row while it reads and applies a page)."""
        now = fields.Datetime.now()
        for run in self.search([("state", "=", "running")]):
            stalled_since = now - timedelta(seconds=run.job_id.stall_seconds)
            if (
                run.heartbeat_at or run.started_at or run.create_date
            ) > stalled_since or not run._try_lock():
                continue
            queue_job = self.env["queue.job"].sudo().search([("uuid", "=", run.job_uuid)])
            if queue_job.state == "failed":
                # an error, not a crash: resuming would fail the same way
                run._fail(_("its job failed: %s", queue_job.exc_message or queue_job.exc_name))
                continue
            if queue_job.state in ("started", "enqueued"):
                queue_job.button_cancelled()
            run.resume_count += 1
            run.message_post(body=_("Resumed from cursor %s.", run.job_id._cursor_label()))
            run._enqueue()

    def action_resume(self):
        """Resume a run now (its worker died, or it failed and the cause is fixed)."""
        for run in self.filtered(lambda run: run.state in ("running", "failed")):
            if not run._try_lock():
                continue
            run.write({"state": "running", "error": False, "resume_count": run.resume_count + 1})
            run._enqueue()

    # retryable source (the exception app's Retry of a stopped run)
    def _integration_retry(self):
        self.action_resume()
        return None if self.state == "running" else self._integration_succeeded()

    def _integration_succeeded(self):
        return self.state == "done"

    def _try_lock(self):
        """Lock the run's row for this transaction; False when another holds it."""
        self.env.cr.execute(
            SQL(
                "SELECT id FROM mfg_integration_sync_run WHERE id = %s FOR UPDATE SKIP LOCKED",
                self.id,
            )
        )
        return bool(self.env.cr.fetchone())

    def _commit(self):
        """Commit a page with its cursor (tests run in one transaction)."""
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------
    def _process(self):
        """Pull page after page until the feed has no next page."""
        self.ensure_one()
        run = self.sudo()
        if run.state in ("done", "failed") or not run._try_lock():
            return _("Nothing to do: the run is %s.", run.state)
        job = run.job_id
        if run.state == "queued":
            run.write(
                {
                    "state": "running",
                    "started_at": fields.Datetime.now(),
                    "cursor_before": job._cursor_label(),
                    "cursor_after": job._cursor_label(),
                }
            )
            run._commit()
        while True:
            if not run._try_lock():
                return _("Another worker runs it.")
            position = job._cursor()
            try:
                records, more, cursor_values, label = run._next_page(position)
                if job.adapter == "file_folder":
                    position = (label, None)  # what the file's issues name
                counts = run._apply_page(records, position)
            except SyncFailure as failure:
                run._fail(str(failure))
                return str(failure)
            job.write(cursor_values)
            values = {f"{name}_count": run[f"{name}_count"] + counts[name] for name in COUNTERS}
            values.update(
                page_count=run.page_count + 1,
                cursor_after=label,
                heartbeat_at=fields.Datetime.now(),
            )
            if not more:
                values.update(state="done", finished_at=fields.Datetime.now())
            run.write(values)
            if not more:
                self.env["mfg.integration.incident"]._source_settled(run)
            run._commit()
            if job.adapter == "file_folder":
                job._file_done(cursor_values.get("cursor_file"))
            if not more:
                return _(
                    "%(pages)s pages, %(read)s records read",
                    pages=run.page_count,
                    read=run.read_count,
                )

    def _next_page(self, position):
        """(records, whether more pages follow, the job's cursor values once
        they are applied, how the run shows that cursor)."""
        job = self.job_id
        if job.adapter == "file_folder":
            name, records, more = job._read_next_file()
            return records, more, ({"cursor_file": name} if name else {}), name or ""
        page = self._fetch(position)
        following = page["next"]
        last = page["records"][-1] if page["records"] else None
        committed = (
            (following["updated_since"], following["after_id"])
            if following
            else (last["updated_at"], last["id"])
            if last
            else position
        )
        return (
            page["records"],
            bool(following),
            {"cursor_updated_since": committed[0], "cursor_after_id": committed[1]},
            cursor_text(committed),
        )

    def _fail(self, reason):
        self.write({"state": "failed", "finished_at": fields.Datetime.now(), "error": reason})
        self.env["mfg.integration.incident"]._report(
            "sync_failed",
            _("Sync %(job)s stopped: %(reason)s", job=self.job_id.name, reason=reason),
            key=f"sync|{self.job_id.id}",
            severity="high",
            system=self.system_id or None,
            source=self,
            job_uuid=self.job_uuid,
        )
        self._commit()

    def _fetch(self, position):
        """The page after the cursor, checked; retried on 5xx, 429 and timeouts
        with back-off (Retry-After when the system says how long)."""
        job = self.job_id
        params = {"after_id": position[1], "limit": job.page_size}
        if position[0]:
            params["updated_since"] = position[0]
        where = _("page at cursor %s", cursor_text(position))
        wait = job.retry_backoff
        for attempt in range(job.max_retries + 1):
            retry_after = None
            try:
                response = requests.get(job.endpoint_url, params=params, timeout=job.timeout)
            except requests.Timeout:
                reason = _("no answer within %s s", job.timeout)
            except requests.RequestException as error:
                reason = _("cannot connect: %s", error)
            else:
                if response.status_code == 200:
                    return self._parse_page(response, position, where)
                reason = _("the system answered %s", response.status_code)
                if response.status_code not in RETRY_STATUSES:
                    raise SyncFailure(f"{where}: {reason}: {response.text[:300]}")
                retry_after = response.headers.get("Retry-After")
            if attempt == job.max_retries:
                break
            delay = wait
            if retry_after and retry_after.isdigit():
                delay = min(float(retry_after), job.retry_backoff * 10)
            _logger.info("%s: %s; trying again in %s s", self.name, reason, delay)
            time.sleep(delay)
            wait *= 2
        raise SyncFailure(
            _(
                "%(where)s: %(reason)s (%(tries)s attempts)",
                where=where,
                reason=reason,
                tries=attempt + 1,
            )
        )

    def _parse_page(self, response, position, where):
        try:
            page = response.json()
        except ValueError as error:
            raise SyncFailure(
                _("%(where)s is not JSON: %(error)s", where=where, error=error)
            ) from error
        errors = schema_errors(PAGE_SCHEMA, page)
        if errors:
            shown = "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors[:5])
            raise SyncFailure(_("%(where)s is not a page: %(errors)s", where=where, errors=shown))
        following = page["next"]
        if following:
            try:
                moved = (
                    parse_timestamp(following["updated_since"], "/next/updated_since"),
                    following["after_id"],
                )
            except CommandProblem as problem:
                raise SyncFailure(f"{where}: /next/updated_since: {problem.detail}") from problem
            if position[0] and moved <= (parse_timestamp(position[0], "/"), position[1]):
                raise SyncFailure(
                    _(
                        "%(where)s: the next cursor %(next)s does not move past it; "
                        "the system would be read in a loop",
                        where=where,
                        next=cursor_text((following["updated_since"], following["after_id"])),
                    )
                )
        return page

    # ------------------------------------------------------------------
    # Applying a page
    # ------------------------------------------------------------------
    def _apply_page(self, records, position):
        """Apply every record of a page; return the page's counters. Raises
        SyncFailure (the page then leaves nothing) when a record is refused
        and the job stops at the first refusal."""
        counts = dict.fromkeys(COUNTERS, 0)
        savepoint = self.env.cr.savepoint()
        try:
            for index, record in enumerate(records):
                counts["read"] += 1
                outcome = self._apply_record(record, index, position)
                counts[outcome] += 1
                if outcome == "refused" and self.job_id.stop_on_record_error:
                    raise SyncFailure(
                        _(
                            "record %(index)s of the page at cursor %(cursor)s was refused "
                            "(see its issue); the page is not applied",
                            index=index,
                            cursor=cursor_text(position),
                        )
                    )
        except SyncFailure:
            issues = self.issue_ids.filtered(lambda issue: issue.cursor == cursor_text(position))
            kept = [issue.copy_data()[0] for issue in issues]
            savepoint.close(rollback=True)
            # what was wrong stays listed; what was applied is undone
            self.env["mfg.integration.sync.issue"].create(kept)
            raise
        savepoint.close(rollback=False)
        return counts

    def _apply_record(self, record, index, position):
        """Run one record through its command; return which counter it adds to."""
        key, when, problem = self._record_key(record, position)
        if problem:
            self._issue("refused", key, record, problem, position)
            return "refused"
        State = self.env["mfg.integration.sync.state"]
        state = State.search([("job_id", "=", self.job_id.id), ("key", "=", key)])
        if state and when < state.source_updated_at:
            self._issue(
                "refused",
                key,
                record,
                _(
                    "Older than the change applied last (%(applied)s): the newer one stands.",
                    applied=state.source_updated_at,
                ),
                position,
            )
            return "refused"
        if state and when == state.source_updated_at:
            return "unchanged"
        savepoint = self.env.cr.savepoint()
        outcome = self.job_id._invoke_record(record, index)
        if not outcome.succeeded:
            savepoint.close(rollback=False)  # the refusal is logged like any message
            body = outcome.body or {}
            pointers = "; ".join(
                f"{error.get('pointer')}: {error.get('detail')}" for error in body.get("errors", [])
            )
            detail = body.get("detail", "") + (f" ({pointers})" if pointers else "")
            kind = "failed" if outcome.kind in SERVER_KINDS else "refused"
            self._issue(kind, key, record, detail, position, problem=body)
            return "refused"
        result = outcome.body
        previous, counted = result["previous"], result["counted"]
        rounding = 0.0001
        odoo_changed = state and float_compare(
            previous, state.applied_quantity, precision_rounding=rounding
        )
        if odoo_changed and float_compare(previous, counted, precision_rounding=rounding):
            # changed on both sides since the last run: a person decides
            savepoint.close(rollback=True)
            issue = self._issue(
                "conflict",
                key,
                record,
                _(
                    "Changed on both sides since the last sync: Odoo has %(odoo)s (was "
                    "%(applied)s when last synchronized), %(system)s says %(counted)s.",
                    odoo=previous,
                    applied=state.applied_quantity,
                    system=self.system_id.code,
                    counted=counted,
                ),
                position,
            )
            issue._report_conflict()
            return "conflict"
        savepoint.close(rollback=False)
        State._remember(self.job_id, key, when, counted)
        if not float_compare(previous, counted, precision_rounding=rounding):
            return "unchanged"
        return "updated" if state or previous else "created"

    def _record_key(self, record, position):
        """(key, source time, problem) of a record: where it stands in the feed."""
        key = "|".join(str(record.get(name) or "") for name in ("product", "location", "lot"))
        if record.get("_error"):
            return key, None, record["_error"]
        if not isinstance(record.get("id"), int) or not isinstance(record.get("updated_at"), str):
            return key, None, _("A record needs an integer 'id' and an 'updated_at' date-time.")
        try:
            when = parse_timestamp(record["updated_at"], "/updated_at")
        except CommandProblem as problem:
            return key, None, problem.detail
        if (
            self.job_id.adapter == "rest_pull"
            and position[0]
            and (when, record["id"]) <= (parse_timestamp(position[0], "/"), position[1])
        ):
            return key, when, _("The record is not after the page's cursor: it was read before.")
        return key, when, None

    def _issue(self, kind, key, record, detail, position, problem=None):
        return self.env["mfg.integration.sync.issue"].create(
            {
                "run_id": self.id,
                "kind": kind,
                "key": key,
                "detail": detail,
                "cursor": cursor_text(position),
                "payload": json.dumps(record, default=str),
                "problem": json.dumps(problem) if problem else False,
            }
        )
