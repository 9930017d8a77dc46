"""Route declarations: what each endpoint of /api/mfg/v1 is and does."""

import re
from dataclasses import dataclass, field

API_PREFIX = "/api/mfg/v1"
# Odoo auth method of the API's routes: no session, the pipeline checks API keys
# itself; unlike "none", the routes need a database (ir.http._auth_method_mfg_api)
API_AUTH = "mfg_api"


@dataclass(frozen=True)
class ApiRoute:
    """One endpoint. Addons declare theirs by extending
    ``mfg.integration.api._api_routes()``.

    :param handler: "model.name:method" called as
        ``method(ctx, body, **path_params)`` with the caller's environment
    :param mode: "sync", or "async" for batches processed by a queue job
    :param batch_key: in async mode, the body's list whose items are
        processed one by one
    :param atomic: in async mode, one failed item fails the whole batch
    """

    name: str
    method: str
    path: str
    handler: str
    summary: str
    scope: str | None = None
    request_schema: dict | None = None
    response_schema: dict | None = None
    query_schema: dict | None = None
    mode: str = "sync"
    batch_key: str | None = None
    atomic: bool = False
    success_status: int = 200
    latency_class: str = "real-time"
    tag: str = "General"
    description: str = ""
    example: dict | None = None
    max_items_setting: str | None = None
    path_regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        parts = re.split(r"\{(\w+)\}", self.path)
        # even parts are literal text, odd parts parameter names; a parameter
        # may hold a slash (Odoo references do: WH/OUT/00042, sent as %2F)
        pattern = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+)"
            for index, part in enumerate(parts)
        )
        object.__setattr__(self, "path_regex", re.compile(f"^{pattern}$"))

    @property
    def writes(self):
        return self.method in ("POST", "PUT", "PATCH", "DELETE")

    def match(self, path):
        found = self.path_regex.match(path)
        return found.groupdict() if found else None
