"""The request pipeline of /api/mfg/v1, independent of the HTTP layer."""

import json
import logging
import re
import secrets
import time
import uuid

from jsonschema import Draft202012Validator

from odoo import api, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from odoo.addons.mfg_integration_core.exceptions import MappingError
from odoo.addons.mfg_integration_governance.models.auth import AuthRefused

from ..api_types import ApiRequest, ApiResponse  # noqa: F401
from ..http_adapter import connection_failure
from ..problems import PROBLEM_BASE, PROBLEM_TYPES, ApiProblem
from ..routing import API_PREFIX, ApiRoute
from .api_context import ApiContext, mapping_problem

_logger = logging.getLogger(__name__)

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
# errors that Odoo's request loop retries with a fresh transaction
RETRYABLE = PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
_VALIDATORS = {}


def validator_for(schema):
    """One checked validator per distinct schema. Keyed by content: routes may
    build their schemas anew on each call, and an id() is reused once its
    object is gone."""
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _VALIDATORS.get(key)
    if validator is None:
        Draft202012Validator.check_schema(schema)
        validator = _VALIDATORS[key] = Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    return validator


def schema_errors(schema, instance):
    """All violations, each with the JSON pointer of the failing field."""
    errors = []
    for error in sorted(
        validator_for(schema).iter_errors(instance), key=lambda e: list(e.absolute_path)
    ):
        pointer = "".join(f"/{part}" for part in error.absolute_path) or "/"
        errors.append({"pointer": pointer, "detail": error.message})
    return errors


class MfgIntegrationApi(models.AbstractModel):
    _name = "mfg.integration.api"
    _description = "Inbound REST API"

    # ------------------------------------------------------------------
    # Route catalog
    # ------------------------------------------------------------------
    @api.model
    def _api_routes(self):
        """Every route of /api/mfg/v1. Addons extend this list."""
        return [
            ApiRoute(
                name="get_request",
                method="GET",
                path="/requests/{id}",
                handler="mfg.integration.api.request:_api_get_request",
                summary="Status and item results of an asynchronous request",
                tag="Requests",
                response_schema={"type": "object"},
            ),
        ]

    def _match_route(self, method, path):
        allowed = []
        for route in self._api_routes():
            params = route.match(path)
            if params is None:
                continue
            if route.method == method:
                return route, params
            allowed.append(route.method)
        if allowed:
            raise ApiProblem(
                "method-not-allowed",
                f"{path} accepts {', '.join(sorted(allowed))}, not {method}.",
                headers={"Allow": ", ".join(sorted(allowed))},
            )
        raise ApiProblem("not-found", f"There is no route {method} {API_PREFIX}{path}.")

    # ------------------------------------------------------------------
    # The pipeline
    # ------------------------------------------------------------------
    @api.model
    def _handle(self, request, problem=None):
        """Answer one request. Never raises but for retryable database errors.

        :param problem: answer with this problem (logged like any other), e.g.
            when every retry of the request met a conflicting transaction
        """
        started = time.perf_counter()
        correlation_id = request.headers.get("x-correlation-id") or str(uuid.uuid4())
        correlation_id = correlation_id[:128]
        traceparent = self._child_traceparent(request.headers.get("traceparent"))
        state = {
            "route": None,
            "client": None,
            "record": None,
            "error": None,
            "body": None,
            "traceparent": traceparent,
        }
        try:
            if problem:
                raise problem
            response = self._pipeline(request, correlation_id, state)
        except RETRYABLE:
            raise
        except ApiProblem as problem:
            response = self._problem_response(problem, request, correlation_id)
            state["error"] = problem.detail
            state["problem"] = problem
            if getattr(problem, "client", None) and not state["client"]:
                state["client"] = problem.client.sudo()
        except Exception as error:
            if connection_failure(error):
                raise  # nothing can be logged now: the HTTP layer answers 503
            _logger.exception("API %s %s failed [%s]", request.method, request.path, correlation_id)
            problem = ApiProblem(
                "internal-error",
                f"An unexpected error occurred; quote correlation id {correlation_id} "
                "to the administrator.",
            )
            response = self._problem_response(problem, request, correlation_id)
            state["error"] = f"{type(error).__name__}: {error}"
        response.headers.update({"X-Correlation-ID": correlation_id, "traceparent": traceparent})
        latency_ms = (time.perf_counter() - started) * 1000.0
        self._log(request, response, state, correlation_id, traceparent, latency_ms)
        return response

    def _pipeline(self, request, correlation_id, state):
        route, params = self._match_route(request.method, request.path)
        state["route"] = route
        body = self._parse_body(request, route)
        state["body"] = body
        # JSON can only carry NUL as the escape \u0000: look closer only when it is there
        if (
            b"\\u0000" in (request.body or b"")
            or "\x00" in request.path
            or any("\x00" in f"{key}{value}" for key, value in request.query.items())
        ):
            self._reject_nul({"path": request.path, "query": request.query, "body": body})
        auth = self._authenticate(request, route)
        client = auth.client.sudo()
        state["client"] = client
        state["rate_headers"] = auth.headers
        if route.query_schema:
            errors = schema_errors(route.query_schema, request.query)
            if errors:
                raise ApiProblem(
                    "validation-error", "The query parameters are not valid.", errors=errors
                )
        if route.request_schema is not None:
            errors = schema_errors(route.request_schema, body)
            if errors:
                raise ApiProblem(
                    "validation-error",
                    f"The body does not match the schema of {route.method} {route.path}: "
                    f"{len(errors)} error(s).",
                    errors=errors,
                )
        env = self._caller_env(auth, request, correlation_id, state["traceparent"])
        ctx = ApiContext(
            env=env,
            client=client.with_env(env),
            system=client.system_id.with_env(env),
            route=route,
            correlation_id=correlation_id,
            query=request.query,
        )
        idempotency = None
        key = request.headers.get("idempotency-key")
        if route.writes and key:
            idempotency, replay = self.env["mfg.integration.idempotency"]._begin(
                client, key, route, request
            )
            if replay:
                replay.headers.update(auth.headers)
                replay.headers["Idempotent-Replayed"] = "true"
                state["replayed"] = True
                return replay
        try:
            if route.mode == "async":
                response = self.env["mfg.integration.api.request"]._accept(ctx, body)
            else:
                response = self._run_handler(ctx, route, body, params, state)
        except ApiProblem as problem:
            response = self._problem_response(problem, request, correlation_id)
            state["error"] = problem.detail
            self._on_request_refused(ctx, problem)
        response.headers.update(auth.headers)
        if idempotency:
            idempotency._finish(response)
        return response

    @api.model
    def _on_request_refused(self, ctx, problem):
        """Hook: an authenticated request was answered with a problem document."""
        return None

    def _run_handler(self, ctx, route, body, params, state):
        result = self._invoke(ctx, route, body, params)
        if isinstance(result, ApiResponse):
            return result
        state["record"] = result.pop("__record__", None) if isinstance(result, dict) else None
        return ApiResponse(route.success_status, result)

    @api.model
    def _invoke(self, ctx, route, payload, params=None):
        """Run a handler in a savepoint; every failure becomes an ApiProblem
        and leaves nothing behind."""
        model_name, method_name = route.handler.split(":")
        handler = getattr(ctx.env[model_name], method_name)
        try:
            with self.env.cr.savepoint():
                result = handler(ctx, payload, **(params or {}))
                ctx.env.flush_all()
                return result
        except RETRYABLE:
            raise
        except ApiProblem:
            raise
        except MappingError as error:
            raise mapping_problem(error) from error
        except AccessError as error:
            raise ApiProblem("forbidden", str(error.args[0])) from error
        except (UserError, ValidationError) as error:
            raise ApiProblem("business-rule", str(error.args[0])) from error

    def _reject_nul(self, parts):
        """PostgreSQL text cannot hold NUL characters: refuse them up front (422)."""
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
            raise ApiProblem(
                "validation-error",
                "Text may not contain NUL (U+0000) characters.",
                errors=errors[:20],
            )

    def _parse_body(self, request, route):
        if request.method in ("GET", "DELETE", "HEAD"):
            return None
        limit = self.env["mfg.integration.settings"]._get("api_max_payload_bytes", 5 * 1024 * 1024)
        if len(request.body) > limit:
            raise ApiProblem(
                "payload-too-large",
                f"The body has {len(request.body)} bytes; the limit is {limit}.",
                limit=limit,
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise ApiProblem(
                "unsupported-media-type",
                f"Send the body as application/json, not '{content_type or 'nothing'}'.",
            )
        try:
            return json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiProblem("malformed-json", f"The body is not valid JSON: {error}.") from error

    def _authenticate(self, request, route):
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header[:7].lower() == "bearer " else None
        key = key or request.headers.get("x-api-key")
        company = request.headers.get("x-company-id")
        try:
            company = int(company) if company else None
        except ValueError:
            company = -1
        try:
            return (
                self.env["mfg.integration.auth"]
                .sudo()
                .authenticate(key, request.remote_addr, route.scope, company)
            )
        except AuthRefused as refusal:
            slug = {401: "unauthenticated", 403: "forbidden", 429: "rate-limited"}[refusal.status]
            extensions = {"retry_after": refusal.retry_after} if refusal.retry_after else {}
            problem = ApiProblem(slug, refusal.public_detail, headers=refusal.headers, **extensions)
            problem.reason = refusal.reason
            problem.client = refusal.client
            if refusal.status == 401:
                problem.headers["WWW-Authenticate"] = 'Bearer realm="mfg-integration"'
            raise problem from refusal

    def _caller_env(self, auth, request, correlation_id, traceparent):
        """The technical user's environment, in the request's company."""
        companies = auth.company_ids  # the client's own company first
        wanted = request.headers.get("x-company-id")
        current = next((id_ for id_ in companies if str(id_) == wanted), companies[0])
        return self.env(
            user=auth.user.id,
            context={
                "allowed_company_ids": [current] + [id_ for id_ in companies if id_ != current],
                "tz": "UTC",
                "lang": "en_US",
                "mfg_api_client_id": auth.client.id,
                # events emitted by the request carry its correlation and trace
                "mfg_correlation_id": correlation_id,
                "mfg_traceparent": traceparent,
            },
        )

    # ------------------------------------------------------------------
    # Responses and logging
    # ------------------------------------------------------------------
    def _problem_response(self, problem, request, correlation_id):
        return problem.response(request.path, correlation_id)

    def _child_traceparent(self, incoming):
        found = TRACEPARENT.match(incoming or "")
        trace_id = found.group(1) if found else secrets.token_hex(16)
        flags = found.group(3) if found else "01"
        return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"

    def _log(self, request, response, state, correlation_id, traceparent, latency_ms):
        if not self.env["mfg.integration.auth"]._refusal_logged(state.get("problem")):
            return  # a refused credential: counted by governance, only sampled here
        route = state.get("route")
        client = state.get("client")
        status = response.status
        outcome = (
            "accepted"
            if status == 202
            else "success"
            if status < 400
            else "failed"
            if status >= 500
            else "rejected"
        )
        error = state.get("error")
        reason = getattr(state.get("problem"), "reason", None)
        values = {
            "direction": "inbound",
            "system_id": client.system_id.id if client else False,
            "route": f"{route.method} {API_PREFIX}{route.path}" if route else request.path,
            "method": request.method,
            "correlation_id": correlation_id,
            "traceparent": traceparent,
            "status": outcome,
            "http_status": status,
            "latency_ms": latency_ms,
            "request_headers": {k: v for k, v in request.headers.items() if k != "cookie"},
            "request_payload": request.body or None,
            "response_payload": response.body,
            "error": error if not reason else f"{error} ({reason})",
            "company_id": client.company_id.id if client else self.env.company.id,
        }
        if state.get("replayed"):
            values["error"] = "replayed from the Idempotency-Key store"
        self.env["mfg.integration.message.log"]._log_exchange(values, record=state.get("record"))

    @api.model
    def _problem_catalog(self):
        return {
            PROBLEM_BASE + slug: {"status": status, "title": title, "description": meaning}
            for slug, (status, title, meaning) in PROBLEM_TYPES.items()
        }
