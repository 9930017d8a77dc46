"""Commands: what an external system may ask Odoo to do, whatever carries it.

A command is one declaration (``Command``: name, version, JSON Schemas,
scope, handler, the record it acts on, and its REST binding), listed by the
addon that owns its business flow in its one extension of
``mfg.integration.command._mfg_commands()``. Transports (REST, a message
broker, the asynchronous batch runner, tests) turn what they received into an
``Invocation`` and run it through one pipeline:
``env["mfg.integration.command"]._execute(invocation)``, which answers an
``Outcome`` (see ``problems.py``).
"""

import re
from dataclasses import dataclass, field

PATH_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Rest:
    """A command's REST binding: method and path below the API's prefix
    (``{subject}`` in the path is the record it acts on).

    :param operation: the OpenAPI operationId
    :param tag: the OpenAPI tag that groups it
    :param api: the REST API version that serves it (``/api/mfg/v<api>`` and
        that version's OpenAPI document), e.g. 2 for a command's v2
    """

    method: str
    path: str
    operation: str
    tag: str = "General"
    api: int = 1

    @property
    def parameters(self):
        return PATH_PARAMETER.findall(self.path)


@dataclass(frozen=True)
class Command:
    """One version of one command.

    :param name: dotted name, e.g. ``production_order.confirm``
    :param handler: "model.name:method", called as
        ``method(ctx, payload, **params)`` as the caller's technical user; it
        returns a ``CommandResult`` (or a JSON-able value)
    :param version: a later version (``v2`` beside ``v1``) reuses the handler
        of the version it upgrades to through ``upgrade``
    :param upgrade: ``(payload) -> payload`` turning this version's payload
        into the handler's (e.g. a renamed field), applied after validation
    :param subject: the handler's keyword argument that names the record the
        command acts on (a production order's id); each transport fills it
        its own way (a REST path parameter, a broker message's ``ce-subject``)
    :param rest: its REST binding, or None for a command no route serves
    :param mode: "sync", or "async": the payload's ``batch_key`` list is
        stored and its items applied one by one by a queue job
    :param atomic: in async mode, one failed item fails the whole batch
    :param outcome: what a success is: ``done``, or ``created`` (a new
        record); an async command's is always ``accepted``
    :param summed: telemetry whose business meaning is a total (machine
        counters): a transport that receives it at a high rate may sum these
        body fields per subject over a time window and run the command once
        per window (the other fields come from the window's last message)
    """

    name: str
    handler: str
    summary: str
    version: int = 1
    scope: str | None = None
    request_schema: dict | None = None
    response_schema: dict | None = None
    query_schema: dict | None = None
    upgrade: object = None
    subject: str | None = None
    rest: Rest | None = None
    writes: bool = True
    mode: str = "sync"
    batch_key: str | None = None
    atomic: bool = False
    outcome: str = "done"
    latency_class: str = "real-time"
    description: str = ""
    example: dict | None = None
    max_items_setting: str | None = None
    summed: tuple = ()

    @property
    def key(self):
        return (self.name, self.version)

    @property
    def label(self):
        return f"{self.name}.v{self.version}"

    def __post_init__(self):
        if self.rest and self.rest.parameters != ([self.subject] if self.subject else []):
            raise ValueError(
                f"Command {self.label}: the path {self.rest.path} must name its subject "
                f"({self.subject or 'none'}) and nothing else."
            )


@dataclass
class CommandResult:
    """What a handler returns: the data for the caller, and the business
    record it concerns (linked from the message log)."""

    data: object
    record: object = None


@dataclass
class ApiKeyIdentity:
    """A caller that shows an API key (REST)."""

    key: str | None
    remote_addr: str = ""
    company_id: int | None = None

    def authenticate(self, auth, scope):
        """The governance AuthResult; raises AuthRefused."""
        return auth.authenticate(self.key, self.remote_addr, scope, self.company_id)


@dataclass
class ClientIdentity:
    """A caller that its transport vouches for, without a key: a broker queue
    bound to an API client. The client's scopes, companies and rate limit
    apply as over REST."""

    client_id: int
    company_id: int | None = None

    def authenticate(self, auth, scope):
        return auth.authenticate_client(self.client_id, scope, self.company_id)


@dataclass
class Invocation:
    """One request to run a command, free of any transport.

    :param channel: how the message log names where it came from, e.g.
        ``POST /api/mfg/v1/production-orders`` or a queue name
    :param raw: the payload as received (idempotency fingerprint, message log)
    :param keep_refusals: whether a refused outcome is kept under the
        idempotency key (REST: the same request gets the same answer); a
        broker message that was refused has changed nothing and is tried
        again under its own id once its cause is fixed
    :param transport: how metrics name the transport (``rest``, ``amqp``)
    """

    command: Command | None
    identity: object
    payload: object = None
    params: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    raw: bytes = b""
    headers: dict = field(default_factory=dict)
    idempotency_key: str | None = None
    correlation_id: str | None = None
    traceparent: str | None = None
    channel: str = ""
    method: str = ""
    instance: str = ""
    keep_refusals: bool = True
    # the transport's span: its kind, name (default: the channel) and
    # OpenTelemetry semantic-convention attributes
    span_kind: str = "server"
    span_name: str = ""
    span_attributes: dict = field(default_factory=dict)
    # how metrics name the way it came: rest, amqp
    transport: str = "rest"
