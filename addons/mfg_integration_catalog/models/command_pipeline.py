"""The catalog on the request path: each command's interface decides its
coexistence mode and classification, and each command version's lifecycle
its headers, all read from caches keyed by command name and version (cleared
when an interface, a member or a version changes), never a query per request.
"""

from datetime import date
from typing import NamedTuple

from odoo import api, fields, models, tools

from odoo.addons.mfg_integration_command.commands import CommandResult
from odoo.addons.mfg_integration_command.models.command_pipeline import CommandSavepoint
from odoo.addons.mfg_integration_command.problems import CommandProblem


class InterfacePolicy(NamedTuple):
    interface_id: int
    code: str
    name: str
    mode: str
    classification: str
    pointers: tuple
    successor_code: str | None
    successor_name: str | None


class VersionPolicy(NamedTuple):
    version_id: int
    name: str
    state: str
    sunset: date | None
    successor: str | None
    headers: tuple  # ((name, value), ...)


class CatalogPolicy(NamedTuple):
    """What the catalog says of one command version: looked up once per
    invocation, carried in the pipeline's context (``mfg_catalog``)."""

    label: str
    interface: InterfacePolicy | None
    version: VersionPolicy | None


class MfgIntegrationCommand(models.AbstractModel):
    _inherit = "mfg.integration.command"

    # ------------------------------------------------------------------
    # Cached look-ups
    # ------------------------------------------------------------------
    @api.model
    @tools.ormcache("command_name")
    def _interface_policy(self, command_name):
        """The InterfacePolicy of the interface a command belongs to, or None
        (not catalogued: it runs as cut over, its payloads logged)."""
        member = (
            self.env["mfg.integration.interface.member"]
            .sudo()
            .search([("kind", "=", "command"), ("key", "=", command_name)], limit=1)
        )
        interface = member.interface_id
        if not interface.active:
            return None
        successor = interface.successor_id
        return InterfacePolicy(
            interface.id,
            interface.code,
            interface.name,
            interface.mode,
            interface.classification,
            interface._pointers(),
            successor.code or None,
            successor.name or None,
        )

    @api.model
    @tools.ormcache("number")
    def _version_policy(self, number):
        """The VersionPolicy of a command version that is deprecated or
        retired, or None (a version in preview or production)."""
        version = (
            self.env["mfg.integration.api.version"]
            .sudo()
            .search([("number", "=", number), ("state", "in", ("deprecated", "retired"))], limit=1)
        )
        if not version:
            return None
        return VersionPolicy(
            version.id,
            version.name,
            version.state,
            version.sunset_date or None,
            version.successor_id.name or None,
            tuple(version._lifecycle_headers().items()),
        )

    @api.model
    @tools.ormcache("name", "version")
    def _catalog_policy(self, name, version):
        return CatalogPolicy(
            f"{name}.v{version}", self._interface_policy(name), self._version_policy(version)
        )

    def _catalog(self, command):
        """The command's CatalogPolicy: the invocation's (the context), or
        the cache's off the request path (e.g. an asynchronous batch item)."""
        found = self.env.context.get("mfg_catalog")
        if found is not None and found.label == command.label:
            return found
        return self._catalog_policy(command.name, command.version)

    # ------------------------------------------------------------------
    # The pipeline's steps, as the catalog says
    # ------------------------------------------------------------------
    def _identify(self, identity, command):
        """A command of a retired interface, or of a version past its sunset,
        is gone for a caller that may call it (known callers only: others
        learn nothing of the catalog). Deprecated versions count their calls."""
        auth = super()._identify(identity, command)
        catalog = self._catalog(command)
        policy = catalog.interface
        if policy and policy.mode == "retired":
            successor = (
                f"; use {policy.successor_name} ({policy.successor_code}) instead"
                if policy.successor_code
                else ""
            )
            problem = CommandProblem(
                "gone",
                f"The interface {policy.name} ({policy.code}) is retired{successor}.",
                interface=policy.code,
                successor=policy.successor_code,
            )
            problem.client = auth.client
            raise problem
        version = catalog.version
        if version:
            self.env["mfg.integration.api.version.usage"]._count_call(
                version.version_id, auth.client.id, auth.client.company_id.id
            )
            self.env["mfg.integration.telemetry"]._count(
                "mfg_deprecated_version_requests_total",
                version=version.name,
                client=auth.client.name,
                company=str(auth.client.company_id.id),
            )
            if version.state == "retired" or (
                version.sunset and fields.Date.context_today(self) >= version.sunset
            ):
                successor = f"; use {version.successor}" if version.successor else ""
                problem = CommandProblem(
                    "gone",
                    f"Version {version.name} of {command.name} is past its sunset{successor}.",
                    successor=version.successor,
                )
                problem.client = auth.client
                raise problem
        return auth

    def _execute_in_span(self, invocation, problem=None):
        """Look the command up in the catalog once; its steps, the message
        log included, read the answer from the context."""
        command = invocation.command
        if command is None:
            return super()._execute_in_span(invocation, problem=problem)
        catalog = self._catalog_policy(command.name, command.version)
        pipeline = self.with_context(mfg_catalog=catalog)
        response = super(MfgIntegrationCommand, pipeline)._execute_in_span(
            invocation, problem=problem
        )
        if catalog.version:
            response.headers.update(catalog.version.headers)
        return response

    def _run(self, invocation, state):
        """A shadow command consumes no idempotency key: the same message is
        applied for real once the interface is cut over."""
        command = invocation.command
        policy = self._catalog(command).interface
        shadow = bool(policy and policy.mode == "shadow" and command.writes)
        if shadow:
            invocation.idempotency_key = None
        response = super()._run(invocation, state)
        if shadow:
            response.headers["Mfg-Coexistence"] = "shadow"
        return response

    @api.model
    def _apply(self, ctx, command, payload, params=None, pending=None, savepoint=None):
        policy = self._catalog(command).interface
        if not (policy and policy.mode == "shadow" and command.writes):
            return super()._apply(ctx, command, payload, params, pending, savepoint)
        return self._apply_in_shadow(policy, ctx, command, payload, params)

    @api.model
    def _apply_in_shadow(self, policy, ctx, command, payload, params):
        """Validate, map and apply the command in a savepoint that is then
        rolled back; record what it would have done (records created and
        changed, quantities, states, events) as a shadow run, and answer
        what the command would have answered."""
        Runs = self.env["mfg.integration.shadow.run"].sudo()
        interface = self.env["mfg.integration.interface"].sudo().browse(policy.interface_id)
        # read before the rollback clears the caches (the caller's user may not read them)
        client = ctx.client.sudo()
        client_id, company_id = client.id, client.company_id.id
        cr = self.env.cr
        postcommit = len(cr.postcommit._funcs)
        shadow = CommandSavepoint(cr)
        cr.execute(shadow.open_sql())
        refused = None
        try:
            first_xid = Runs._open_observation(interface)
            try:
                result = super()._apply(ctx, command, payload, params)
            except CommandProblem as problem:
                refused, result = problem, None
            after = Runs._observe_writes(first_xid)
            events = Runs._emitted_events(first_xid)
        finally:
            shadow.rollback()
            # what the command asked to run after the commit is undone with it
            while len(cr.postcommit._funcs) > postcommit:
                cr.postcommit._funcs.pop()
            self.env["mfg.integration.mapping"]._forget_links()
        effects = Runs._effects(after, events)
        Runs.create(
            {
                "interface_id": interface.id,
                "command": command.label,
                "correlation_id": ctx.correlation_id,
                "client_id": client_id,
                "outcome": "refused" if refused else "applied",
                "problem": refused.detail if refused else False,
                "created_count": len(effects["created"]),
                "changed_count": len(effects["changed"]),
                "event_count": len(events),
                "effects": effects,
                "company_id": company_id,
            }
        )
        if refused:
            raise refused
        # the answer names no record: none was kept
        return CommandResult(result.data)
