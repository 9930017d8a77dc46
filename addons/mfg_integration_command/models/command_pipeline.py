"""The one pipeline every inbound command runs through, whatever carried it.

identify the caller -> check scope, company and rate -> validate -> de-duplicate
by idempotency key -> apply the handler (it maps ids and codes, changes Odoo
records and emits events, in one savepoint) -> record the message.
"""

import logging
import re
import secrets
import time
import uuid

from odoo import api, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from odoo.addons.mfg_integration_core.database import connection_failure
from odoo.addons.mfg_integration_core.exceptions import MappingError, StateConflictError
from odoo.addons.mfg_integration_core.json_schema import schema_errors
from odoo.addons.mfg_integration_governance.models.auth import AuthRefused

from ..commands import Command, CommandResult, Rest
from ..context import CommandContext, mapping_problem
from ..problems import SERVER_KINDS, CommandProblem, Outcome
from .api_request import REQUEST_STATUS_SCHEMA

_logger = logging.getLogger(__name__)

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
# errors that Odoo's request loop retries with a fresh transaction
RETRYABLE = PG_CONCURRENCY_EXCEPTIONS_TO_RETRY


class CommandSavepoint:
    """The savepoint around a command's handler. Its SAVEPOINT and RELEASE
    statements are SQL for the pipeline to send with statements of its own
    (no round trip each); a rollback runs at once, and ends it."""

    def __init__(self, cr):
        cr.flush()  # what was written before belongs outside it
        self.cr = cr
        self.name = f"mfg_command_{uuid.uuid4().hex}"
        self.closed = False
        self.rolled_back = False

    def open_sql(self):
        return SQL("SAVEPOINT %s", SQL.identifier(self.name))

    def release_sql(self):
        self.closed = True
        return SQL("RELEASE SAVEPOINT %s", SQL.identifier(self.name))

    def rollback(self):
        """Undo what was done since it opened (the ORM's caches with it)."""
        self.cr.clear()
        self.cr.execute(
            SQL(
                "ROLLBACK TO SAVEPOINT %s; RELEASE SAVEPOINT %s",
                SQL.identifier(self.name),
                SQL.identifier(self.name),
            )
        )
        self.closed = self.rolled_back = True


class MfgIntegrationCommand(models.AbstractModel):
    _name = "mfg.integration.command"
    _description = "Inbound Command Pipeline"

    # ------------------------------------------------------------------
    # The command catalog
    # ------------------------------------------------------------------
    @api.model
    def _mfg_commands(self):
        """Every command of the suite. An addon extends this list once, with
        the declarations of its flow files."""
        return [
            Command(
                name="request.get",
                handler="mfg.integration.api.request:_api_get_request",
                summary="Status and item results of an asynchronous request",
                writes=False,
                response_schema=REQUEST_STATUS_SCHEMA,
                subject="id",
                rest=Rest("GET", "/requests/{id}", operation="get_request", tag="Requests"),
            ),
        ]

    @api.model
    @tools.ormcache()
    def _command_table(self):
        """{(name, version): Command}, built once per registry."""
        table = {}
        for command in self._mfg_commands():
            if command.key in table:
                raise ValueError(f"Command {command.label} is declared twice.")
            table[command.key] = command
        return table

    @api.model
    def _command(self, name, version=1):
        command = self._command_table().get((name, version))
        if command is None:
            raise CommandProblem("not-found", f"There is no command {name} v{version}.")
        return command

    def _register_hook(self):
        """Refuse to load with a command whose handler does not exist."""
        result = super()._register_hook()
        self._check_handlers(self._command_table().values())
        return result

    @api.model
    def _check_handlers(self, commands):
        for command in commands:
            model_name, _sep, method_name = command.handler.partition(":")
            if model_name not in self.env or not callable(
                getattr(self.env[model_name], method_name, None)
            ):
                raise ValueError(
                    f"Command {command.label}: handler {command.handler} does not exist."
                )

    # ------------------------------------------------------------------
    # The pipeline
    # ------------------------------------------------------------------
    @api.model
    def _execute(self, invocation, problem=None):
        """Run one invocation; return its Outcome (kind, status, body, headers).
        Never raises but for retryable database errors.

        The invocation is one span (the transport's server or consumer span)
        that continues the caller's traceparent; the traceparent answered and
        carried by the events is that span's.

        :param problem: answer with this problem (recorded like any other), e.g.
            when the transport could not make sense of what it received
        """
        incoming = invocation.traceparent
        with self.env["mfg.integration.telemetry"]._span(
            invocation.span_name or invocation.channel,
            kind=invocation.span_kind,
            traceparent=incoming,
            attributes=invocation.span_attributes,
        ) as span:
            # where nothing traces, the span hands the caller's back: make a child here
            traced = span.traceparent != incoming
            invocation.traceparent = (
                span.traceparent if traced else self._child_traceparent(incoming)
            )
            response = self._execute_in_span(invocation, problem)
            span.set_attribute(
                "http.response.status_code"
                if invocation.span_kind == "server"
                else "mfg.response.status",
                response.status,
            )
            span.set_attribute("mfg.correlation_id", invocation.correlation_id)
            if response.kind in SERVER_KINDS:
                span.set_error(f"answered {response.status}")
        return response

    def _execute_in_span(self, invocation, problem=None):
        started = time.perf_counter()
        invocation.correlation_id = (invocation.correlation_id or str(uuid.uuid4()))[:128]
        # pending: statements of this transaction that can wait for the log row's
        state = {"client": None, "record": None, "error": None, "auth": None, "pending": []}
        try:
            if problem:
                raise problem
            response = self._run(invocation, state)
        except RETRYABLE:
            raise
        except CommandProblem as refused:
            response = self._problem_response(refused, invocation)
            state["error"] = refused.detail
            state["problem"] = refused
            if getattr(refused, "client", None) and not state["client"]:
                state["client"] = refused.client.sudo()
        except Exception as error:
            if connection_failure(error):
                raise  # nothing can be recorded now: the transport says to try again
            _logger.exception(
                "Command %s failed [%s]", invocation.channel, invocation.correlation_id
            )
            failure = CommandProblem(
                "internal-error",
                f"An unexpected error occurred; quote correlation id "
                f"{invocation.correlation_id} to the administrator.",
            )
            response = self._problem_response(failure, invocation)
            state["error"] = f"{type(error).__name__}: {error}"
        response.headers.update(
            {"X-Correlation-ID": invocation.correlation_id, "traceparent": invocation.traceparent}
        )
        latency_ms = (time.perf_counter() - started) * 1000.0
        self._record(invocation, response, state, latency_ms)
        self._count_request(invocation, response, state, latency_ms)
        return response

    def _client_facts(self, state):
        """(system id, system code, company id) of the calling client: from
        what authentication read (cached), else from the client record (a
        refused caller), else nothing."""
        auth = state.get("auth")
        facts = auth.facts if auth is not None else None
        if facts is not None:
            return facts.system_id, facts.system_code, facts.company_id
        client = state.get("client")
        if client:
            return client.system_id.id, client.system_id.code, client.company_id.id
        return False, None, False

    def _count_request(self, invocation, response, state, latency_ms):
        """Count the request and its latency in the metrics."""
        telemetry = self.env["mfg.integration.telemetry"]
        command = invocation.command.label if invocation.command else "unknown"
        _system_id, system_code, company_id = self._client_facts(state)
        telemetry._count(
            "mfg_requests_total",
            command=command,
            system=system_code or "unknown",
            status=str(response.status),
            transport=invocation.transport,
            company=str(company_id or ""),
        )
        telemetry._observe(
            "mfg_request_duration_seconds",
            latency_ms / 1000.0,
            command=command,
            transport=invocation.transport,
        )

    def _run(self, invocation, state):
        command = invocation.command
        # JSON can only carry NUL as the escape \u0000: look closer only when it is there
        if (
            b"\\u0000" in (invocation.raw or b"")
            or any("\x00" in str(value) for value in invocation.params.values())
            or any("\x00" in f"{key}{value}" for key, value in invocation.query.items())
        ):
            self._reject_nul(
                {
                    "path": invocation.params,
                    "query": invocation.query,
                    "body": invocation.payload,
                }
            )
        auth = self._identify(invocation.identity, command)
        client = auth.client.sudo()
        state["client"] = client
        state["auth"] = auth
        if command.query_schema:
            errors = schema_errors(command.query_schema, invocation.query)
            if errors:
                raise CommandProblem(
                    "validation-error", "The query parameters are not valid.", errors=errors
                )
        payload = invocation.payload
        if command.request_schema is not None:
            errors = schema_errors(command.request_schema, payload)
            if errors:
                raise CommandProblem(
                    "validation-error",
                    f"The body does not match the schema of {command.label}: "
                    f"{len(errors)} error(s).",
                    errors=errors,
                )
            if command.upgrade:
                payload = command.upgrade(payload)
        env = self._caller_env(auth, invocation)
        system_id = auth.facts.system_id if auth.facts else client.system_id.id
        ctx = CommandContext(
            env=env,
            client=client.with_env(env),
            system=env["mfg.integration.system"].browse(system_id or ()),
            command=command,
            correlation_id=invocation.correlation_id,
            query=invocation.query,
            channel=invocation.channel,
        )
        savepoint = None
        if command.writes and invocation.idempotency_key:
            # the handler's savepoint is opened in the round trip that claims the key:
            # a failed handler takes the claim with it, and the key is claimed again
            savepoint = CommandSavepoint(self.env.cr)
            replay = self._claim(invocation, client, state, before=savepoint.open_sql())
            if replay:
                state["pending"].append(savepoint.release_sql())
                replay.headers.update(auth.headers)
                return replay
        try:
            if command.mode == "async":
                response = self.env["mfg.integration.api.request"]._accept(ctx, payload)
            else:
                # the savepoint is released with the log row, in one round trip (_record)
                result = self._apply(
                    ctx,
                    command,
                    payload,
                    invocation.params,
                    pending=state["pending"],
                    savepoint=savepoint,
                )
                state["record"] = result.record
                response = Outcome.success(command.outcome, result.data)
        except CommandProblem as refused:
            response = self._problem_response(refused, invocation)
            state["error"] = refused.detail
            if savepoint and savepoint.rolled_back:
                replay = self._claim(invocation, client, state)
                if replay:  # another request with this key came first meanwhile
                    response = replay
            self._on_command_refused(ctx, refused)
        if savepoint and not savepoint.closed:
            state["pending"].append(savepoint.release_sql())
        response.headers.update(auth.headers)
        return response

    def _claim(self, invocation, client, state, before=None):
        """Claim the invocation's idempotency key; return the stored outcome
        to replay, or None (the claim's outcome is stored with the log row,
        in one round trip: _record).

        :param before: a statement to send in the same round trip, first
        """
        idempotency, replay = self.env["mfg.integration.idempotency"]._begin(
            client, invocation.idempotency_key, invocation.command, invocation, before=before
        )
        if replay:
            replay.headers["Idempotent-Replayed"] = "true"
            state["replayed"] = True
            return replay
        state["idempotency"] = (idempotency, invocation.keep_refusals)
        return None

    @api.model
    def _apply(self, ctx, command, payload, params=None, pending=None, savepoint=None):
        """Run a command's handler in a savepoint; return a CommandResult.
        Every failure becomes an CommandProblem and leaves nothing behind.

        :param pending: a list to append the release of the savepoint to (SQL),
            for the caller to send with its next statement, instead of a round
            trip of its own; until then what follows runs in the savepoint,
            and the transaction's end releases it in any case
        :param savepoint: a CommandSavepoint the caller has opened already
        """
        model_name, method_name = command.handler.split(":")
        handler = getattr(ctx.env[model_name], method_name)
        cr = self.env.cr
        if savepoint is None:
            savepoint = CommandSavepoint(cr)
            cr.execute(savepoint.open_sql())
        try:
            try:
                with self.env["mfg.integration.telemetry"]._span(
                    f"apply {command.label}",
                    attributes={"mfg.command": command.label, "db.system": "postgresql"},
                ):
                    result = handler(ctx, payload, **(params or {}))
                    ctx.env.flush_all()
            except Exception:
                savepoint.rollback()
                # links found inside the savepoint may be gone with it
                self.env["mfg.integration.mapping"]._forget_links()
                raise
            cr.flush()
            if pending is None:
                cr.execute(savepoint.release_sql())
            else:
                pending.append(savepoint.release_sql())
        except RETRYABLE:
            raise
        except CommandProblem:
            raise
        except MappingError as error:
            raise mapping_problem(error) from error
        except StateConflictError as error:
            raise CommandProblem("conflict", str(error.args[0]), **error.extensions) from error
        except AccessError as error:
            raise CommandProblem("forbidden", str(error.args[0])) from error
        except (UserError, ValidationError) as error:
            raise CommandProblem("business-rule", str(error.args[0])) from error
        return result if isinstance(result, CommandResult) else CommandResult(result)

    def _identify(self, identity, command):
        """Who calls, checked for the command's scope, company and rate."""
        try:
            return identity.authenticate(self.env["mfg.integration.auth"].sudo(), command.scope)
        except AuthRefused as refusal:
            slug = {401: "unauthenticated", 403: "forbidden", 429: "rate-limited"}[refusal.status]
            extensions = {"retry_after": refusal.retry_after} if refusal.retry_after else {}
            problem = CommandProblem(
                slug, refusal.public_detail, headers=refusal.headers, **extensions
            )
            problem.reason = refusal.reason
            problem.client = refusal.client
            raise problem from refusal

    def _reject_nul(self, parts):
        """PostgreSQL text cannot hold NUL characters: refuse them up front."""
        errors = []

        def walk(value, pointer):
            if isinstance(value, str):
                if "\x00" in value:
                    errors.append({"pointer": pointer or "/", "detail": "contains a NUL character"})
            elif isinstance(value, dict):
                for key, item in value.items():
                    walk(key, pointer)
                    walk(item, f"{pointer}/{key}")
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, f"{pointer}/{index}")

        for name, value in parts.items():
            walk(value, "" if name == "body" else f"#{name}")
        if errors:
            raise CommandProblem(
                "validation-error",
                "Text may not contain NUL (U+0000) characters.",
                errors=errors[:20],
            )

    def _caller_env(self, auth, invocation):
        """The technical user's environment, in the wanted company."""
        companies = auth.company_ids  # the client's own company first
        wanted = getattr(invocation.identity, "company_id", None)
        current = next((id_ for id_ in companies if id_ == wanted), companies[0])
        return self.env(
            user=auth.user.id,
            context={
                "allowed_company_ids": [current] + [id_ for id_ in companies if id_ != current],
                "tz": "UTC",
                "lang": "en_US",
                "mfg_api_client_id": auth.client.id,
                # events emitted by the command carry its correlation and trace
                "mfg_correlation_id": invocation.correlation_id,
                "mfg_traceparent": invocation.traceparent,
            },
        )

    # ------------------------------------------------------------------
    # Outcomes and the message log
    # ------------------------------------------------------------------
    def _problem_response(self, problem, invocation):
        return problem.outcome(invocation.instance, invocation.correlation_id)

    @api.model
    def _on_command_refused(self, ctx, problem):
        """Hook: an authenticated command was refused with a problem (e.g. an
        unmapped code reported to the exception app: incident_sources.py)."""
        return None

    @api.model
    def _status_location(self, request):
        """Hook: where the sender of an asynchronous command polls the status
        of its request (a transport that serves one extends it), or None."""
        return None

    def _child_traceparent(self, incoming):
        found = TRACEPARENT.match(incoming or "")
        trace_id = found.group(1) if found else secrets.token_hex(16)
        flags = found.group(3) if found else "01"
        return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"

    def _record(self, invocation, response, state, latency_ms):
        """Store the outcome under the idempotency key (if one was claimed)
        and write the message log row: one round trip to the database, in
        the transaction of the command, so both commit with what it did."""
        statements = list(state.get("pending") or ())
        claim = state.pop("idempotency", None)
        if claim:
            idempotency, keep_refusal = claim
            statements.append(idempotency._finish_sql(response, keep_refusal=keep_refusal))
        if not self.env["mfg.integration.auth"]._refusal_logged(state.get("problem")):
            # a refused credential: counted by governance, only sampled here
            for statement in statements:
                self.env.cr.execute(statement)
            return
        system_id, _system_code, company_id = self._client_facts(state)
        status = response.status
        outcome = (
            "accepted"
            if response.kind == "accepted"
            else "success"
            if response.succeeded
            else "failed"
            if response.kind in SERVER_KINDS
            else "rejected"
        )
        error = state.get("error")
        reason = getattr(state.get("problem"), "reason", None)
        values = {
            "direction": "inbound",
            "system_id": system_id or False,
            "route": invocation.channel,
            "method": invocation.method,
            "correlation_id": invocation.correlation_id,
            "traceparent": invocation.traceparent,
            "status": outcome,
            "http_status": status,
            "latency_ms": latency_ms,
            "request_headers": {k: v for k, v in invocation.headers.items() if k != "cookie"},
            "request_payload": invocation.raw or None,
            "response_payload": response.body,
            "error": error if not reason else f"{error} ({reason})",
            "company_id": company_id or self.env.company.id,
        }
        if state.get("replayed"):
            values["error"] = "replayed from the Idempotency-Key store"
        self.env["mfg.integration.message.log"]._log_exchange_after(
            statements, values, record=state.get("record")
        )
