"""The REST transport of the command pipeline: /api/mfg/v1.

It turns an HTTP request into an Invocation of the command its route binds,
runs it through ``mfg.integration.command``, and hands back the outcome for
the controller to write. Everything else (identify, validate, apply, record)
is the pipeline's, shared with every other transport.
"""

import json

from odoo import api, models, tools

from ..api_types import ApiRequest, ApiResponse  # noqa: F401
from ..commands import ApiKeyIdentity, Invocation
from ..problems import PROBLEM_BASE, PROBLEM_TYPES, ApiProblem
from ..routing import API_PREFIX, ApiRoute

# what an HTTP request may tell the pipeline, besides its body
NO_BODY_METHODS = ("GET", "DELETE", "HEAD")


class MfgIntegrationApi(models.AbstractModel):
    _name = "mfg.integration.api"
    _description = "Inbound REST API"

    # ------------------------------------------------------------------
    # Route catalog
    # ------------------------------------------------------------------
    @api.model
    def _api_routes(self):
        """Every route of /api/mfg/v1. Addons extend this list next to the
        commands the routes bind."""
        return [
            ApiRoute(
                name="get_request",
                method="GET",
                path="/requests/{id}",
                command="request.get",
                tag="Requests",
            ),
        ]

    @api.model
    @tools.ormcache()
    def _route_table(self):
        """[(route, command)], built once per registry; a route naming no
        declared command stops the registry from loading."""
        Command = self.env["mfg.integration.command"]
        table = []
        for route in self._api_routes():
            command = Command._command_table().get((route.command, route.version))
            if command is None:
                raise ValueError(
                    f"Route {route.method} {route.path} binds command {route.command} "
                    f"v{route.version}, which is not declared."
                )
            table.append((route, command))
        return tuple(table)

    def _register_hook(self):
        result = super()._register_hook()
        self._route_table()
        return result

    def _match_route(self, method, path):
        allowed = []
        for route, command in self._route_table():
            params = route.match(path)
            if params is None:
                continue
            if route.method == method:
                return route, command, params
            allowed.append(route.method)
        if allowed:
            raise ApiProblem(
                "method-not-allowed",
                f"{path} accepts {', '.join(sorted(allowed))}, not {method}.",
                headers={"Allow": ", ".join(sorted(allowed))},
            )
        raise ApiProblem("not-found", f"There is no route {method} {API_PREFIX}{path}.")

    # ------------------------------------------------------------------
    # HTTP request -> invocation -> outcome
    # ------------------------------------------------------------------
    @api.model
    def _handle(self, request, problem=None):
        """Answer one HTTP request. Never raises but for retryable database errors.

        :param problem: answer with this problem (recorded like any other), e.g.
            when every retry of the request met a conflicting transaction
        """
        invocation = self._invocation(request)
        if not problem:
            try:
                route, invocation.command, invocation.params = self._match_route(
                    request.method, request.path
                )
                invocation.channel = f"{route.method} {API_PREFIX}{route.path}"
                invocation.span_name = invocation.channel
                invocation.span_attributes["http.route"] = API_PREFIX + route.path
                invocation.payload = self._parse_body(request)
            except ApiProblem as refused:
                problem = refused
        return self.env["mfg.integration.command"]._execute(invocation, problem=problem)

    def _invocation(self, request):
        headers = request.headers
        header = headers.get("authorization", "")
        key = header[7:].strip() if header[:7].lower() == "bearer " else None
        company = headers.get("x-company-id")
        try:
            company = int(company) if company else None
        except ValueError:
            company = -1
        return Invocation(
            command=None,
            identity=ApiKeyIdentity(
                key=key or headers.get("x-api-key"),
                remote_addr=request.remote_addr,
                company_id=company,
            ),
            query=request.query,
            raw=request.body or b"",
            headers=headers,
            idempotency_key=headers.get("idempotency-key"),
            correlation_id=headers.get("x-correlation-id"),
            traceparent=headers.get("traceparent"),
            channel=request.path,
            method=request.method,
            instance=API_PREFIX + request.path,
            # a route unknown yet: the method alone names the span (few names)
            span_name=request.method,
            span_attributes={
                "http.request.method": request.method,
                "url.path": API_PREFIX + request.path,
                "client.address": request.remote_addr,
                "user_agent.original": headers.get("user-agent"),
            },
        )

    def _parse_body(self, request):
        if request.method in NO_BODY_METHODS:
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

    @api.model
    def _on_request_refused(self, ctx, problem):
        """Hook: an authenticated command was answered with a problem document."""
        return None

    @api.model
    def _problem_catalog(self):
        return {
            PROBLEM_BASE + slug: {"status": status, "title": title, "description": meaning}
            for slug, (status, title, meaning) in PROBLEM_TYPES.items()
        }
