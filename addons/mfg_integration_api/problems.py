"""RFC 9457 problem documents: every error the API returns is one of these."""

from .api_types import ApiResponse
from .routing import API_PREFIX

PROBLEM_BASE = f"{API_PREFIX}/problems/"

# slug: (status, title, what it means) -- the stable `type` of each problem
PROBLEM_TYPES = {
    "malformed-json": (400, "Malformed JSON", "The body is not valid JSON."),
    "unauthenticated": (401, "Unauthorized", "A valid API key is required."),
    "forbidden": (403, "Forbidden", "The key may not do this (scope, address or company)."),
    "not-found": (404, "Not Found", "No such route, or no such record for this caller."),
    "method-not-allowed": (405, "Method Not Allowed", "The route does not accept this method."),
    "conflict": (409, "Conflict", "The update is older than the data it would replace."),
    "payload-too-large": (413, "Payload Too Large", "The body exceeds the configured limit."),
    "unsupported-media-type": (415, "Unsupported Media Type", "Send application/json."),
    "validation-error": (422, "Validation Error", "The body does not match the schema."),
    "unmapped-code": (422, "Unmapped Code", "A code has no entry in the sender's value map."),
    "unknown-reference": (
        422,
        "Unknown Reference",
        "An external id has no cross-reference for the sender.",
    ),
    "ambiguous-mapping": (422, "Ambiguous Mapping", "A value maps to several codes."),
    "business-rule": (422, "Business Rule Violation", "Odoo refused the operation."),
    "idempotency-key-reused": (
        422,
        "Idempotency Key Reused",
        "The Idempotency-Key was already used with another request body.",
    ),
    "rate-limited": (429, "Too Many Requests", "Slow down; see Retry-After."),
    "internal-error": (500, "Internal Server Error", "An unexpected error; it has been logged."),
    "overloaded": (503, "Service Unavailable", "The server sheds load; see Retry-After."),
    "database-unavailable": (
        503,
        "Service Unavailable",
        "The database cannot be reached for a moment; send the request again after "
        "Retry-After, with the same Idempotency-Key.",
    ),
}


class ApiProblem(Exception):
    """Raise from a handler to answer with a problem document."""

    def __init__(self, slug, detail, errors=None, headers=None, **extensions):
        status, title, _meaning = PROBLEM_TYPES[slug]
        super().__init__(detail)
        self.slug = slug
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

    def response(self, instance, correlation_id):
        """The ApiResponse that carries this problem for a request to ``instance``
        (what was asked, e.g. the request's path)."""
        headers = dict(self.headers)
        if self.status in (429, 503) and "Retry-After" not in headers:
            headers["Retry-After"] = str(self.extensions.get("retry_after") or 1)
        return ApiResponse(
            self.status,
            self.to_dict(instance=instance, correlation_id=correlation_id),
            headers,
            content_type="application/problem+json",
        )
