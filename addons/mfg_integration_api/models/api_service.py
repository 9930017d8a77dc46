"""The REST transport of the command pipeline: /api/mfg/v1 (and /api/mfg/v2...).

It turns an HTTP request into an Invocation of the command its route binds,
runs it through ``mfg.integration.command``, and hands back the outcome for
the controller to write. Everything else (identify, validate, apply, record)
is the pipeline's, shared with every other transport.
"""

import json

from odoo import api, models, tools

from odoo.addons.mfg_integration_command.commands import ApiKeyIdentity, Invocation
from odoo.addons.mfg_integration_command.problems import CommandProblem

from ..routing import API_PREFIX, ApiRoute, api_prefix

# what an HTTP request may tell the pipeline, besides its body
NO_BODY_METHODS = ("GET", "DELETE", "HEAD")


class MfgIntegrationApi(models.AbstractModel):
    _name = "mfg.integration.api"
    _description = "Inbound REST API"

    # ------------------------------------------------------------------
    # Route catalog
    # ------------------------------------------------------------------
    @api.model
    @tools.ormcache("api_version")
    def _route_table(self, api_version=1):
        """[(route, command)] of every command with a REST binding in one API
        version, built once per registry; two commands bound to one method
        and path of a version stop the registry from loading."""
        table, seen = [], {}
        for command in self.env["mfg.integration.command"]._command_table().values():
            if not command.rest or command.rest.api != api_version:
                continue
            route = ApiRoute(command.rest)
            bound = (route.method, route.path)
            if bound in seen:
                raise ValueError(
                    f"{route.prefix} {route.method} {route.path} binds both {seen[bound]} "
                    f"and {command.label}."
                )
            seen[bound] = command.label
            table.append((route, command))
        return tuple(table)

    @api.model
    @tools.ormcache()
    def _api_versions(self):
        """The REST API versions some command's binding names (1 always)."""
        commands = self.env["mfg.integration.command"]._command_table().values()
        return tuple(sorted({1} | {command.rest.api for command in commands if command.rest}))

    def _register_hook(self):
        result = super()._register_hook()
        for api_version in self._api_versions():
            self._route_table(api_version)
        return result

    def _match_route(self, method, path, api_version=1):
        allowed = []
        for route, command in self._route_table(api_version):
            params = route.match(path)
            if params is None:
                continue
            if route.method == method:
                return route, command, params
            allowed.append(route.method)
        if allowed:
            raise CommandProblem(
                "method-not-allowed",
                f"{path} accepts {', '.join(sorted(allowed))}, not {method}.",
                headers={"Allow": ", ".join(sorted(allowed))},
            )
        raise CommandProblem(
            "not-found", f"There is no route {method} {api_prefix(api_version)}{path}."
        )

    # ------------------------------------------------------------------
    # HTTP request -> invocation -> outcome
    # ------------------------------------------------------------------
    @api.model
    def _handle(self, request, problem=None):
        """The Outcome of one HTTP request. Never raises but for retryable
        database errors.

        :param problem: answer with this problem (recorded like any other), e.g.
            when every retry of the request met a conflicting transaction
        """
        invocation = self._invocation(request)
        if not problem:
            try:
                route, invocation.command, invocation.params = self._match_route(
                    request.method, request.path, request.api_version
                )
                invocation.channel = f"{route.method} {route.prefix}{route.path}"
                invocation.span_name = invocation.channel
                invocation.span_attributes["http.route"] = route.prefix + route.path
                invocation.payload = self._parse_body(request)
            except CommandProblem as refused:
                problem = refused
        return self.env["mfg.integration.command"]._execute(invocation, problem=problem)

    def _invocation(self, request):
        headers = request.headers
        header = headers.get("authorization", "")
        key = header[7:].strip() if header[:7].lower() == "bearer " else None
        prefix = api_prefix(request.api_version)
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
            instance=prefix + request.path,
            # a route unknown yet: the method alone names the span (few names)
            span_name=request.method,
            span_attributes={
                "http.request.method": request.method,
                "url.path": prefix + request.path,
                "client.address": request.remote_addr,
                "user_agent.original": headers.get("user-agent"),
            },
        )

    def _parse_body(self, request):
        if request.method in NO_BODY_METHODS:
            return None
        limit = self.env["mfg.integration.settings"]._get("api_max_payload_bytes", 5 * 1024 * 1024)
        if len(request.body) > limit:
            raise CommandProblem(
                "payload-too-large",
                f"The body has {len(request.body)} bytes; the limit is {limit}.",
                limit=limit,
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise CommandProblem(
                "unsupported-media-type",
                f"Send the body as application/json, not '{content_type or 'nothing'}'.",
            )
        try:
            return json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError) as error:
            raise CommandProblem(
                "malformed-json", f"The body is not valid JSON: {error}."
            ) from error


class MfgIntegrationCommand(models.AbstractModel):
    _inherit = "mfg.integration.command"

    @api.model
    def _status_location(self, request):
        """A batch's status resource: the request.get command's route."""
        return f"{API_PREFIX}/requests/{request.id}"
