"""A scheduled batch synchronization with one connected system."""

import csv
import dataclasses
import json
import logging
import os
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.mfg_integration_command.commands import ClientIdentity, Invocation

from .sync_run import SyncFailure, cursor_text

_logger = logging.getLogger(__name__)

FILE_SUFFIXES = (".csv", ".json")
CSV_COLUMNS = ("product", "location", "quantity", "unit", "updated_at")
# the command a stock record is applied with (one item of its batch)
STOCK_COMMAND = ("inventory.movements", 1)
INTERVAL_UNITS = [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")]


class MfgIntegrationSyncJob(models.Model):
    _name = "mfg.integration.sync.job"
    _description = "Batch Sync Job"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    client_id = fields.Many2one(
        "mfg.integration.client",
        string="API Client",
        required=True,
        tracking=True,
        help="Pulled records run as this client's commands: its technical user, scopes, "
        "connected system (cross-references and value maps) and company apply, as for "
        "a message it would send itself.",
    )
    system_id = fields.Many2one(related="client_id.system_id", store=True, string="System")
    direction = fields.Selection(
        [("inbound", "Pull into Odoo")], required=True, default="inbound", tracking=True
    )
    adapter = fields.Selection(
        [
            ("rest_pull", "REST pull (updated_since cursor)"),
            ("file_folder", "File folder (CSV or JSON files)"),
        ],
        required=True,
        default="rest_pull",
        tracking=True,
    )
    reconciled_object = fields.Selection(
        [("stock", "Stock on hand (product, location, lot)")],
        required=True,
        default="stock",
        help="What each record is; stock records are applied as inventory counts.",
    )
    endpoint_url = fields.Char(
        string="Endpoint",
        tracking=True,
        help="GET URL of the system's change feed; the cursor is sent as updated_since, "
        "after_id and limit.",
    )
    folder_path = fields.Char(
        string="Folder",
        help="Where the system drops its files (.csv with a header line, or .json with "
        "a records list); each file is one page, read in name order, and moved to its "
        "done/ subfolder once applied.",
    )
    cursor_file = fields.Char(
        string="Cursor: Last File", readonly=True, help="The last file applied (name order)."
    )
    page_size = fields.Integer(default=100, required=True)
    timeout = fields.Float(string="Timeout (s)", default=30.0, required=True)
    max_retries = fields.Integer(
        default=3,
        required=True,
        help="Attempts of a page that fails (5xx, timeout) beyond the first.",
    )
    retry_backoff = fields.Float(
        string="Back-off (s)",
        default=2.0,
        required=True,
        help="Wait before the first retry, doubled at each next one; a Retry-After answer "
        "sets it, up to ten times this value.",
    )
    stop_on_record_error = fields.Boolean(
        help="Stop the run at the first record refused (its page is not committed); "
        "otherwise refused records are listed and the run goes on."
    )
    interval_number = fields.Integer(string="Every", default=1, required=True)
    interval_type = fields.Selection(INTERVAL_UNITS, default="days", required=True)
    next_run_at = fields.Datetime(
        string="Next Run", tracking=True, help="Empty: only run on demand."
    )
    stall_seconds = fields.Integer(
        default=600,
        required=True,
        help="A run that committed nothing for this long while no worker holds it is "
        "resumed from its cursor by the scheduler (its worker died).",
    )
    cursor_updated_since = fields.Char(
        string="Cursor: Updated Since", readonly=True, help="Last committed source timestamp."
    )
    cursor_after_id = fields.Integer(
        string="Cursor: After Id", readonly=True, help="Last committed source id at that time."
    )
    push_url = fields.Char(
        string="Push Endpoint",
        help='POST URL where a reconciliation line re-sends Odoo\'s value ({"records": [...]}).',
    )
    recon_method = fields.Selection(
        [("extract", "Extract"), ("checksum", "Checksums")],
        string="Reconciliation",
        default="extract",
        required=True,
        help="Extract: read the system's whole feed and compare in SQL. Checksums: compare "
        "bucket checksums (GET <endpoint>/checksums?prefix=) and read only the records of "
        "the buckets that differ (GET <endpoint>/range?prefix=).",
    )
    recon_threshold = fields.Integer(
        string="Difference Threshold",
        default=0,
        help="A reconciliation with more differences than this opens an exception.",
    )
    recon_next_run_at = fields.Datetime(
        string="Next Reconciliation", tracking=True, help="Empty: only on demand."
    )
    recon_interval_days = fields.Integer(string="Reconcile Every (Days)", default=1, required=True)
    recon_ids = fields.One2many("mfg.integration.recon", "job_id", readonly=True)
    last_recon_id = fields.Many2one(
        "mfg.integration.recon", string="Last Reconciliation", compute="_compute_last_recon"
    )
    last_recon_open = fields.Integer(string="Open Differences", compute="_compute_last_recon")
    run_ids = fields.One2many("mfg.integration.sync.run", "job_id", readonly=True)
    run_count = fields.Integer(compute="_compute_run_count")
    last_run_id = fields.Many2one("mfg.integration.sync.run", readonly=True)
    last_state = fields.Selection(related="last_run_id.state", string="Last Run State")

    _sql_constraints = [
        ("page_size_positive", "CHECK(page_size > 0)", "The page size must be positive."),
        ("retries_not_negative", "CHECK(max_retries >= 0)", "Retries cannot be negative."),
    ]

    def _compute_run_count(self):
        counts = dict(
            self.env["mfg.integration.sync.run"]._read_group(
                [("job_id", "in", self.ids)], ["job_id"], ["__count"]
            )
        )
        for job in self:
            job.run_count = counts.get(job, 0)

    def _compute_last_recon(self):
        for job in self:
            job.last_recon_id = self.env["mfg.integration.recon"].search(
                [("job_id", "=", job.id)], limit=1
            )
            job.last_recon_open = job.last_recon_id.open_count

    @api.constrains("adapter", "endpoint_url", "folder_path")
    def _check_source(self):
        for job in self:
            if job.adapter == "rest_pull" and not job.endpoint_url:
                raise ValidationError(_("A REST pull needs its endpoint."))
            if job.adapter == "file_folder" and not job.folder_path:
                raise ValidationError(_("A file folder job needs its folder."))

    def _cursor_label(self):
        if self.adapter == "file_folder":
            return self.cursor_file or "-"
        return cursor_text(self._cursor())

    def _cursor(self):
        return (self.cursor_updated_since or "", self.cursor_after_id or 0)

    def _interval(self):
        return timedelta(**{self.interval_type: self.interval_number})

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_run_now(self):
        for job in self:
            job._start_run()
        return self.action_view_runs()

    def action_reconcile(self):
        """Compare the system's full extract with Odoo now; open the report."""
        self.ensure_one()
        recon = self.env["mfg.integration.recon"]._reconcile(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": "mfg.integration.recon",
            "res_id": recon.id,
            "view_mode": "form",
        }

    def action_reset_cursor(self):
        """Read everything again at the next run (a full resync); source
        timestamps still refuse what is older than what was applied."""
        self.write({"cursor_updated_since": False, "cursor_after_id": 0, "cursor_file": False})
        for job in self:
            job.message_post(body=_("Cursor reset: the next run reads the whole feed."))

    def action_view_runs(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Runs of %s", self.name),
            "res_model": "mfg.integration.sync.run",
            "view_mode": "list,form",
            "domain": [("job_id", "=", self.id)],
            "context": {"default_job_id": self.id},
        }

    # ------------------------------------------------------------------
    # Scheduling
    # ------------------------------------------------------------------
    def _start_run(self):
        """A new run of the job, and its queue job; refused while one runs."""
        self.ensure_one()
        Run = self.env["mfg.integration.sync.run"].sudo()
        if Run.search_count([("job_id", "=", self.id), ("state", "in", ("queued", "running"))]):
            raise UserError(_("%s is running already; its run resumes if it stopped.", self.name))
        run = Run.create({"job_id": self.id, "company_id": self.company_id.id})
        self.sudo().last_run_id = run
        run._enqueue()
        return run

    @api.model
    def _cron_run_due(self):
        """Start the runs that are due and resume those whose worker died."""
        now = fields.Datetime.now()
        jobs = self.sudo().search([("next_run_at", "!=", False), ("next_run_at", "<=", now)])
        for job in jobs:
            job.next_run_at = max(job.next_run_at + job._interval(), now)
            running = self.env["mfg.integration.sync.run"].search_count(
                [("job_id", "=", job.id), ("state", "in", ("queued", "running"))]
            )
            if not running:
                job._start_run()
        self.env["mfg.integration.sync.run"].sudo()._resume_stalled()
        for job in self.sudo().search(
            [("recon_next_run_at", "!=", False), ("recon_next_run_at", "<=", now)]
        ):
            job.recon_next_run_at = max(
                job.recon_next_run_at + timedelta(days=max(job.recon_interval_days, 1)), now
            )
            job.with_delay(
                channel="root.mfg_integration_sync",
                description=_("Reconcile %s", job.name),
            )._reconcile_job()

    def _reconcile_job(self):
        """A scheduled reconciliation (a queue job)."""
        recon = self.env["mfg.integration.recon"]._reconcile(self)
        return _("%(state)s: %(count)s differences", state=recon.state, count=len(recon.line_ids))

    # ------------------------------------------------------------------
    # Applying a record
    # ------------------------------------------------------------------
    def _invoke_record(self, record, index=0):
        """The outcome of the record's command, run as the job's client."""
        job = self
        name, version = STOCK_COMMAND
        batch = self.env["mfg.integration.command"]._command(name, version)
        # one item of the batch, run at once like the batch runner runs it
        command = dataclasses.replace(
            batch,
            mode="sync",
            batch_key=None,
            rest=None,
            request_schema=batch.request_schema["properties"][batch.batch_key]["items"],
        )
        item = {
            "type": "count",
            "product": record.get("product"),
            "location": record.get("location"),
            "quantity": record.get("quantity"),
            "unit": record.get("unit"),
            "reference": f"{job.name} {record.get('id') or ''}".strip()[:128],
        }
        if record.get("lot"):
            item["lot"] = record["lot"]
        raw = json.dumps(item).encode()
        invocation = Invocation(
            command=command,
            identity=ClientIdentity(client_id=job.client_id.id, company_id=job.company_id.id),
            payload=json.loads(raw),
            params={"index": index},
            raw=raw,
            channel=f"SYNC {job.name}",
            method="SYNC",
            instance=f"sync:{job.id}/{record.get('id')}",
            keep_refusals=False,
            span_kind="consumer",
            span_name=f"sync {job.name}",
            span_attributes={"mfg.sync.job": job.id, "mfg.sync.record": str(record.get("id"))},
            transport="sync",
        )
        return self.env["mfg.integration.command"]._execute(invocation)

    # ------------------------------------------------------------------
    # File folder
    # ------------------------------------------------------------------
    def _inbox_files(self):
        """The files not applied yet, in name order."""
        try:
            names = sorted(os.listdir(self.folder_path))
        except OSError as error:
            raise SyncFailure(
                _("cannot read %(folder)s: %(error)s", folder=self.folder_path, error=error)
            ) from error
        return [
            name
            for name in names
            if name.endswith(FILE_SUFFIXES)
            and os.path.isfile(os.path.join(self.folder_path, name))
            and name > (self.cursor_file or "")
        ]

    def _read_next_file(self):
        """(name, records, whether more files wait) of the next file, or
        (None, [], False); a line that cannot be read is a record carrying its
        error (refused, listed)."""
        files = self._inbox_files()
        if not files:
            return None, [], False
        name = files[0]
        path = os.path.join(self.folder_path, name)
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                if name.endswith(".json"):
                    return name, self._json_records(name, handle), len(files) > 1
                return name, self._csv_records(name, handle), len(files) > 1
        except (OSError, UnicodeDecodeError) as error:
            raise SyncFailure(
                _("cannot read %(file)s: %(error)s", file=name, error=error)
            ) from error

    def _json_records(self, name, handle):
        try:
            content = json.load(handle)
        except ValueError as error:
            raise SyncFailure(
                _("%(file)s is not JSON: %(error)s", file=name, error=error)
            ) from error
        records = content.get("records") if isinstance(content, dict) else content
        if not isinstance(records, list):
            raise SyncFailure(_("%s holds no list of records.", name))
        return [
            {"id": index, **record}
            if isinstance(record, dict)
            else {
                "_error": _("%(file)s record %(index)s is not an object.", file=name, index=index)
            }
            for index, record in enumerate(records, 1)
        ]

    def _csv_records(self, name, handle):
        reader = csv.DictReader(handle)
        missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or ())]
        if missing:
            raise SyncFailure(
                _(
                    "%(file)s has no column %(columns)s in its header line.",
                    file=name,
                    columns=", ".join(missing),
                )
            )
        records = []
        for row in reader:
            line = reader.line_num
            record = {key: (value or None) for key, value in row.items() if key}
            record["id"] = line
            problem = None
            if None in row or None in row.values():
                problem = _(
                    "%(file)s line %(line)s does not have the %(count)s fields of the header.",
                    file=name,
                    line=line,
                    count=len(reader.fieldnames),
                )
            else:
                try:
                    record["quantity"] = float(record["quantity"])
                except (TypeError, ValueError):
                    problem = _(
                        "%(file)s line %(line)s: quantity '%(value)s' is not a number.",
                        file=name,
                        line=line,
                        value=row["quantity"],
                    )
            if problem:
                record = {
                    "_error": problem,
                    **{k: record.get(k) for k in ("product", "location", "lot")},
                }
            records.append(record)
        return records

    def _file_done(self, name):
        """Move an applied file to done/ (its name is committed as the cursor:
        a file left behind by a crash here is not read again)."""
        if not name:
            return
        done = os.path.join(self.folder_path, "done")
        os.makedirs(done, exist_ok=True)
        try:
            os.replace(os.path.join(self.folder_path, name), os.path.join(done, name))
        except OSError as error:  # the cursor is what counts: it is not read again
            _logger.warning("%s: %s stays in %s: %s", self.name, name, self.folder_path, error)
