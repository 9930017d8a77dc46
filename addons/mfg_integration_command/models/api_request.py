import json
import threading
import time

from odoo import _, api, fields, models

from ..context import CommandContext
from ..problems import SUCCESS_STATUS, CommandProblem, Outcome

# items of a non-atomic batch applied between two commits of its job
COMMIT_EVERY = 100

REQUEST_STATES = [
    ("queued", "Queued"),
    ("processing", "Processing"),
    ("done", "Done"),
    ("partial", "Partly failed"),
    ("failed", "Failed"),
]


# request.get: the status of a batch and the outcome of each item
REQUEST_STATUS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "status", "route", "items", "done", "failed", "results"],
    "properties": {
        "id": {"type": "integer"},
        "status": {"enum": [state for state, _label in REQUEST_STATES]},
        "route": {"type": "string"},
        "correlation_id": {"type": ["string", "null"]},
        "items": {"type": "integer"},
        "done": {"type": "integer"},
        "failed": {"type": "integer"},
        "started_at": {"type": ["string", "null"]},
        "finished_at": {"type": ["string", "null"]},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["index", "status", "result", "problem"],
                "properties": {
                    "index": {"type": "integer"},
                    "status": {"enum": ["pending", "done", "failed"]},
                    "result": {"type": ["object", "null"], "description": "What the item did."},
                    "problem": {
                        "type": ["object", "null"],
                        "description": "Why the item failed: a problem document's members.",
                        "required": ["detail"],
                    },
                },
            },
        },
    },
}


class MfgIntegrationApiRequest(models.Model):
    """An asynchronous inbound request (a batch), processed by a queue job."""

    _name = "mfg.integration.api.request"
    _description = "Asynchronous API Request"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    client_id = fields.Many2one("mfg.integration.client", required=True, readonly=True, index=True)
    system_id = fields.Many2one(related="client_id.system_id", store=True)
    command_name = fields.Char(string="Command", required=True, readonly=True)
    command_version = fields.Integer(default=1, required=True, readonly=True)
    route = fields.Char(readonly=True, help="Where the request came in.")
    correlation_id = fields.Char(readonly=True, index=True)
    state = fields.Selection(REQUEST_STATES, default="queued", required=True, index=True)
    item_ids = fields.One2many("mfg.integration.api.request.item", "request_id", readonly=True)
    item_count = fields.Integer(readonly=True)
    done_count = fields.Integer(readonly=True)
    failed_count = fields.Integer(readonly=True)
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    job_uuid = fields.Char(readonly=True)
    company_id = fields.Many2one(related="client_id.company_id", store=True, index=True)

    def _compute_name(self):
        for request in self:
            request.name = f"REQ-{request.id}"

    # ------------------------------------------------------------------
    # Accepting
    # ------------------------------------------------------------------
    @api.model
    def _accept(self, ctx, body):
        """Store a batch and accept it; a job applies it item by item."""
        command = ctx.command
        items = body[command.batch_key]
        limit = self.env["mfg.integration.settings"]._get(
            command.max_items_setting or "api_max_batch_items", 1000
        )
        if len(items) > limit:
            raise CommandProblem(
                "validation-error",
                f"The batch has {len(items)} items; at most {limit} are accepted at once.",
                errors=[{"pointer": f"/{command.batch_key}", "detail": f"at most {limit} items"}],
            )
        backlog_limit = self.env["mfg.integration.settings"]._get("api_max_backlog", 50)
        backlog = self.sudo().search_count(
            [("state", "in", ("queued", "processing"))], limit=backlog_limit + 1
        )
        if backlog >= backlog_limit:
            raise CommandProblem(
                "overloaded",
                f"{backlog} batches are waiting; try again shortly.",
                headers={"Retry-After": "30"},
            )
        request = self.sudo().create(
            {
                "client_id": ctx.client.id,
                "command_name": command.name,
                "command_version": command.version,
                "route": ctx.channel,
                "correlation_id": ctx.correlation_id,
                "item_count": len(items),
                "item_ids": [
                    (0, 0, {"sequence": index, "payload": json.dumps(item)})
                    for index, item in enumerate(items)
                ],
            }
        )
        job = (
            request.with_env(ctx.env)
            .with_delay(
                channel="root.mfg_integration_api",
                description=_(
                    "Apply %(command)s batch %(name)s",
                    command=command.label,
                    name=request.name,
                ),
            )
            ._process()
        )
        request.job_uuid = job.uuid
        body = {"id": request.id, "status": "queued", "items": len(items)}
        location = self.env["mfg.integration.command"]._status_location(request)
        if location:
            body["status_url"] = location
        body["correlation_id"] = ctx.correlation_id
        return Outcome.success("accepted", body, {"Location": location} if location else {})

    # ------------------------------------------------------------------
    # Processing (in a queue job, as the client's technical user)
    # ------------------------------------------------------------------
    def _command(self):
        return self.env["mfg.integration.command"]._command(self.command_name, self.command_version)

    def _api_context(self):
        """The context a handler gets, rebuilt for processing outside the request."""
        request = self.sudo()
        client = request.client_id
        env = self.env(
            context=dict(
                self.env.context,
                allowed_company_ids=client._allowed_companies().ids,
                mfg_api_client_id=client.id,
                mfg_correlation_id=request.correlation_id,
            )
        )
        return CommandContext(
            env=env,
            client=client.with_env(env),
            system=client.system_id.with_env(env),
            command=request._command(),
            correlation_id=request.correlation_id,
            query={},
            channel=request.route or "",
        )

    def _process(self):
        self.ensure_one()
        request = self.sudo()
        ctx = self._api_context()
        command = ctx.command
        request.write({"state": "processing", "started_at": fields.Datetime.now()})
        items = request.item_ids.filtered(lambda item: item.state != "done")
        if command.atomic:
            try:
                with self.env.cr.savepoint():
                    for item in items:
                        item._apply(ctx, command)
            except CommandProblem as problem:
                failed = items.filtered(lambda item: item.state == "failed")
                (items - failed).write(
                    {
                        "state": "failed",
                        "result": False,
                        "problem": json.dumps({"detail": _("Not applied: the batch is atomic.")}),
                    }
                )
                failed._notify_failure(problem)
        else:
            for applied, item in enumerate(items, 1):
                try:
                    item._apply(ctx, command)
                except CommandProblem as problem:
                    item._notify_failure(problem)
                if applied % COMMIT_EVERY == 0 and applied < len(items):
                    request._commit_progress()
        done, failed = request._update_counts()
        return _("%(done)s applied, %(failed)s failed", done=done, failed=failed)

    def _commit_progress(self):
        """Commit the items applied so far (each with its business change and
        its events): a long transaction makes every further item slower (each
        one updates the same rows again), and a job that stops is retried from
        the first item not done."""
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _update_counts(self):
        done = len(self.item_ids.filtered(lambda item: item.state == "done"))
        failed = self.item_count - done
        self.write(
            {
                "state": "done" if not failed else ("failed" if not done else "partial"),
                "done_count": done,
                "failed_count": failed,
                "finished_at": fields.Datetime.now(),
            }
        )
        return done, failed

    # ------------------------------------------------------------------
    # Status resource
    # ------------------------------------------------------------------
    @api.model
    def _api_get_request(self, ctx, body, id):
        request = self.sudo().search(
            [("id", "=", int(id) if str(id).isdigit() else 0), ("client_id", "=", ctx.client.id)]
        )
        if not request:
            raise CommandProblem("not-found", f"No request {id} of yours exists.")
        return request._to_api()

    def _to_api(self):
        return {
            "id": self.id,
            "status": self.state,
            "route": self.route,
            "correlation_id": self.correlation_id,
            "items": self.item_count,
            "done": self.done_count,
            "failed": self.failed_count,
            "started_at": fields.Datetime.to_string(self.started_at) or None,
            "finished_at": fields.Datetime.to_string(self.finished_at) or None,
            "results": [
                {
                    "index": item.sequence,
                    "status": item.state,
                    "result": json.loads(item.result) if item.result else None,
                    "problem": json.loads(item.problem) if item.problem else None,
                }
                for item in self.item_ids
            ],
        }

    @api.model
    def _on_item_failed(self, item, problem):
        """Hook: an item failed (reported as an incident in incident_sources.py)."""
        return None


class MfgIntegrationApiRequestItem(models.Model):
    _name = "mfg.integration.api.request.item"
    _description = "Asynchronous API Request Item"
    _order = "request_id, sequence"

    request_id = fields.Many2one(
        "mfg.integration.api.request", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(string="Index")
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Done"), ("failed", "Failed")], default="pending"
    )
    payload = fields.Text()
    result = fields.Text()
    problem = fields.Text()
    error = fields.Char(compute="_compute_error")
    company_id = fields.Many2one(related="request_id.company_id", store=True)

    @api.depends("request_id", "sequence")
    def _compute_display_name(self):
        for item in self:
            item.display_name = _(
                "%(request)s item %(index)s", request=item.request_id.name, index=item.sequence
            )

    @api.depends("problem")
    def _compute_error(self):
        for item in self:
            item.error = json.loads(item.problem).get("detail") if item.problem else False

    def _apply(self, ctx, command):
        started = time.perf_counter()
        try:
            result = self.env["mfg.integration.command"]._apply(
                ctx, command, json.loads(self.payload), {"index": self.sequence}
            )
        except CommandProblem as problem:
            self.sudo().write({"state": "failed", "problem": json.dumps(problem.to_dict())})
            self._count_item(ctx, command, problem.status, started)
            raise
        self.sudo().write(
            {"state": "done", "result": json.dumps(result.data, default=str), "problem": False}
        )
        self._count_item(ctx, command, SUCCESS_STATUS["done"], started)

    def _count_item(self, ctx, command, status, started):
        """Count one applied item in the metrics, as a request of the batch transport."""
        telemetry = self.env["mfg.integration.telemetry"]
        telemetry._count(
            "mfg_batch_items_total",
            command=command.label,
            outcome="succeeded" if status == SUCCESS_STATUS["done"] else "failed",
        )
        telemetry._count(
            "mfg_requests_total",
            command=command.label,
            system=ctx.system.sudo().code or "unknown",
            status=str(status),
            transport="batch",
            company=str(ctx.client.sudo().company_id.id or ""),
        )
        telemetry._observe(
            "mfg_request_duration_seconds",
            time.perf_counter() - started,
            command=command.label,
            transport="batch",
        )

    def _notify_failure(self, problem):
        for item in self:
            self.env["mfg.integration.api.request"]._on_item_failed(item, problem)
