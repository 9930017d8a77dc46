"""The routes of /api/mfg/v<n>: the commands' REST bindings, matched to paths."""

import re

from odoo.addons.mfg_integration_command.commands import PATH_PARAMETER

API_PREFIX = "/api/mfg/v1"
# every REST API version's prefix starts so: /api/mfg/v2 serves the bindings of Rest(api=2)
API_ROOT = "/api/mfg/v"
# Odoo auth method of the API's routes: no session, the pipeline checks API keys
# itself; unlike "none", the routes need a database (ir.http._auth_method_mfg_api)
API_AUTH = "mfg_api"


def api_prefix(api_version):
    """The path prefix of a REST API version: /api/mfg/v1, /api/mfg/v2."""
    return f"{API_ROOT}{api_version}"


class ApiRoute:
    """A route of API_PREFIX: a command's REST binding (``Rest``), matched
    against request paths; its path parameter is the command's subject."""

    def __init__(self, rest):
        self.rest = rest
        parts = PATH_PARAMETER.split(rest.path)
        # even parts are literal text, odd parts parameter names; a parameter
        # may hold a slash (Odoo references do: WH/OUT/00042, sent as %2F)
        pattern = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+)"
            for index, part in enumerate(parts)
        )
        self.path_regex = re.compile(f"^{pattern}$")

    @property
    def name(self):
        """The OpenAPI operationId."""
        return self.rest.operation

    @property
    def method(self):
        return self.rest.method

    @property
    def path(self):
        return self.rest.path

    @property
    def tag(self):
        return self.rest.tag

    @property
    def prefix(self):
        return api_prefix(self.rest.api)

    def match(self, path):
        found = self.path_regex.match(path)
        return found.groupdict() if found else None
