"""Problems and outcomes: what a command answers, whatever carried it.

Every refusal is a ``CommandProblem`` of a stable type (``slug``), rendered
as an RFC 9457 problem document. Each type has a transport-neutral ``kind``
(invalid, not-found, conflict, refused...) that a transport decides on (a
broker retries what is ``unavailable``, waits out what is ``rate-limited``),
and the ``status`` that the problem document carries (RFC 9457's member, the
HTTP status a REST transport answers, the ``status`` of a broker's reply and
of the message log).
"""

from dataclasses import dataclass, field

# the stable `type` URIs of the problem documents (a REST transport serves them)
PROBLEM_BASE = "/api/mfg/v1/problems/"

# kinds: invalid, unauthenticated, forbidden, not-found, conflict (older than the
# data, or still in progress), gone (retired: never sent again), rate-limited,
# unavailable, internal.
# kinds that a sender sends again as they are, after Retry-After
RETRY_AFTER_KINDS = frozenset({"rate-limited", "unavailable"})
# kinds that are the suite's fault, not the message's: logged as failed, never
# kept under an idempotency key (the sender may try again)
SERVER_KINDS = frozenset({"internal", "unavailable"})

# slug: (kind, status, title, what it means) -- the stable `type` of each problem
PROBLEM_TYPES = {
    "malformed-json": ("invalid", 400, "Malformed JSON", "The body is not valid JSON."),
    "unauthenticated": (
        "unauthenticated",
        401,
        "Unauthorized",
        "A valid API key is required.",
    ),
    "forbidden": (
        "forbidden",
        403,
        "Forbidden",
        "The key may not do this (scope, address or company).",
    ),
    "not-found": (
        "not-found",
        404,
        "Not Found",
        "No such route, or no such record for this caller.",
    ),
    "method-not-allowed": (
        "not-found",
        405,
        "Method Not Allowed",
        "The route does not accept this method.",
    ),
    "conflict": (
        "conflict",
        409,
        "Conflict",
        "The update is older than the data it would replace.",
    ),
    "gone": (
        "gone",
        410,
        "Gone",
        "The interface or API version is retired; the problem names its successor.",
    ),
    "payload-too-large": (
        "invalid",
        413,
        "Payload Too Large",
        "The body exceeds the configured limit.",
    ),
    "unsupported-media-type": (
        "invalid",
        415,
        "Unsupported Media Type",
        "Send application/json.",
    ),
    "validation-error": (
        "invalid",
        422,
        "Validation Error",
        "The body does not match the schema.",
    ),
    "unmapped-code": (
        "invalid",
        422,
        "Unmapped Code",
        "A code has no entry in the sender's value map.",
    ),
    "unknown-reference": (
        "invalid",
        422,
        "Unknown Reference",
        "An external id has no cross-reference for the sender.",
    ),
    "ambiguous-mapping": (
        "invalid",
        422,
        "Ambiguous Mapping",
        "A value maps to several codes.",
    ),
    "business-rule": (
        "invalid",
        422,
        "Business Rule Violation",
        "Odoo refused the operation.",
    ),
    "idempotency-key-reused": (
        "invalid",
        422,
        "Idempotency Key Reused",
        "The Idempotency-Key was already used with another request body.",
    ),
    "rate-limited": (
        "rate-limited",
        429,
        "Too Many Requests",
        "Slow down; see Retry-After.",
    ),
    "internal-error": (
        "internal",
        500,
        "Internal Server Error",
        "An unexpected error; it has been logged.",
    ),
    "overloaded": (
        "unavailable",
        503,
        "Service Unavailable",
        "The server sheds load; see Retry-After.",
    ),
    "database-unavailable": (
        "unavailable",
        503,
        "Service Unavailable",
        "The database cannot be reached for a moment; send the request again after "
        "Retry-After, with the same Idempotency-Key.",
    ),
}

# a success: its kind and the status its outcome carries
SUCCESS_STATUS = {"done": 200, "created": 201, "accepted": 202}


@dataclass
class Outcome:
    """What a command answered: a success (``done``, ``created``, ``accepted``)
    or a problem document (its ``kind``), with the status both carry."""

    kind: str
    body: object
    headers: dict = field(default_factory=dict)
    status: int = 200

    @classmethod
    def success(cls, kind, body, headers=None):
        return cls(kind, body, headers or {}, SUCCESS_STATUS[kind])

    @classmethod
    def stored(cls, status, body, headers):
        """An outcome kept under an idempotency key, read back."""
        if status < 400:
            kind = next((name for name, code in SUCCESS_STATUS.items() if code == status), "done")
        else:
            slug = str((body or {}).get("type", "")).removeprefix(PROBLEM_BASE)
            kind = PROBLEM_TYPES.get(slug, ("internal",))[0]
        return cls(kind, body, headers, status)

    @property
    def succeeded(self):
        return self.kind in SUCCESS_STATUS

    @property
    def content_type(self):
        return "application/json" if self.succeeded else "application/problem+json"


class CommandProblem(Exception):
    """Raise from a handler to refuse the command with a problem document."""

    # the incident category a failed batch item is reported in; None: the
    # category of its slug (an addon that owns a category sets it on a problem)
    incident_category = None

    def __init__(self, slug, detail, errors=None, headers=None, **extensions):
        kind, status, title, _meaning = PROBLEM_TYPES[slug]
        super().__init__(detail)
        self.slug = slug
        self.kind = kind
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extensions = extensions

    def to_dict(self, instance=None, correlation_id=None):
        body = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if correlation_id:
            body["correlation_id"] = correlation_id
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body

    def outcome(self, instance, correlation_id):
        """The Outcome that carries this problem for a request of ``instance``
        (what was asked, e.g. the request's path)."""
        headers = dict(self.headers)
        if self.kind in RETRY_AFTER_KINDS and "Retry-After" not in headers:
            headers["Retry-After"] = str(self.extensions.get("retry_after") or 1)
        return Outcome(
            self.kind,
            self.to_dict(instance=instance, correlation_id=correlation_id),
            headers,
            self.status,
        )

    @classmethod
    def from_document(cls, body):
        """The problem a problem document answered (to report it again)."""
        body = dict(body) if isinstance(body, dict) else {}
        slug = str(body.pop("type", "")).removeprefix(PROBLEM_BASE) or "internal-error"
        for key in ("title", "status", "instance", "correlation_id"):
            body.pop(key, None)
        detail = body.pop("detail", "")
        errors = body.pop("errors", None)
        if slug not in PROBLEM_TYPES:
            return cls("internal-error", detail)
        return cls(slug, detail, errors=errors, **body)


def problem_catalog():
    """{type URI: its description}, as a problem type's URI dereferences to."""
    return {
        PROBLEM_BASE + slug: {"status": status, "title": title, "description": meaning}
        for slug, (_kind, status, title, meaning) in PROBLEM_TYPES.items()
    }
