"""Route declarations: what each endpoint of /api/mfg/v1 is and does."""

import re
from dataclasses import dataclass, field

API_PREFIX = "/api/mfg/v1"
# Odoo auth method of the API's routes: no session, the pipeline checks API keys
# itself; unlike "none", the routes need a database (ir.http._auth_method_mfg_api)
API_AUTH = "mfg_api"


@dataclass(frozen=True)
class ApiRoute:
    """The REST binding of a command: method and path under API_PREFIX.
    Addons declare theirs by extending ``mfg.integration.api._api_routes()``,
    next to the command they bind (its path parameters become the handler's
    keyword arguments).

    :param command: the command's name; ``version`` which of its versions
    :param name: the OpenAPI operationId
    """

    name: str
    method: str
    path: str
    command: str
    version: int = 1
    tag: str = "General"
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

    def match(self, path):
        found = self.path_regex.match(path)
        return found.groupdict() if found else None
