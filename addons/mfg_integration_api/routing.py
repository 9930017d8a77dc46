"""Route declarations: what each endpoint of /api/mfg/v1 is and does."""

import re
from dataclasses import dataclass, field

API_PREFIX = "/api/mfg/v1"
# Odoo auth method of the API's routes: no session, the pipeline checks API keys
# itself; unlike "none", the routes need a database (ir.http._auth_method_mfg_api)
API_AUTH = "mfg_api"


@dataclass(frozen=True)
class ApiRoute:
    """A route of API_PREFIX, made from a command's REST binding (``Rest``):
    its path parameter is the command's subject.

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

    @classmethod
    def of(cls, command):
        rest = command.rest
        return cls(
            name=rest.operation,
            method=rest.method,
            path=rest.path,
            command=command.name,
            version=command.version,
            tag=rest.tag,
        )

    def match(self, path):
        found = self.path_regex.match(path)
        return found.groupdict() if found else None
