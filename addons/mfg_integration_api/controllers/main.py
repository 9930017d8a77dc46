from functools import partial

from odoo import SUPERUSER_ID, http
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from odoo.addons.mfg_integration_command.problems import CommandProblem, problem_catalog
from odoo.addons.mfg_integration_core.write_locks import run_serialized

from ..api_types import ApiRequest
from ..http_adapter import to_http_response
from ..routing import API_AUTH, API_PREFIX, API_ROOT

# a later REST API version (/api/mfg/v2...): v1's routes are declared as they were
LATER_VERSION = f"{API_ROOT}<int(min=2):api_version>"


def _served_version(api_version):
    """The path's API version: an int from the converter; a query string's
    api_version (a str) on a v1 path is not one."""
    return api_version if isinstance(api_version, int) else 1


class MfgIntegrationApiController(http.Controller):
    """Thin HTTP adapter: the pipeline lives in the mfg.integration.api model."""

    @http.route(
        [f"{API_PREFIX}/openapi.json", f"{LATER_VERSION}/openapi.json"],
        type="http",
        auth=API_AUTH,
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def openapi(self, api_version=1):
        env = request.env(su=True)
        api_version = _served_version(api_version)
        if api_version not in env["mfg.integration.api"]._api_versions():
            return request.make_json_response({"detail": "unknown API version"}, status=404)
        document = env["mfg.integration.api"]._openapi(
            request.httprequest.host_url.rstrip("/"), api_version
        )
        return request.make_json_response(document)

    @http.route(
        f"{API_PREFIX}/problems/<string:slug>",
        type="http",
        auth=API_AUTH,
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def problem_type(self, slug):
        found = problem_catalog().get(f"{API_PREFIX}/problems/{slug}")
        return request.make_json_response(
            found or {"detail": "unknown problem type"}, status=200 if found else 404
        )

    @http.route(
        f"{API_PREFIX}/events/schemas/<string:type_name>",
        type="http",
        auth=API_AUTH,
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def event_schema(self, type_name):
        """The JSON Schema an event's `dataschema` attribute points to."""
        event_type = request.env(su=True)["mfg.integration.event.type"].search(
            [("name", "=", type_name)], limit=1
        )
        if not event_type:
            return request.make_json_response({"detail": "unknown event type"}, status=404)
        return request.make_json_response(event_type._served_schema())

    @http.route(
        [f"{API_PREFIX}/<mfgpath:subpath>", f"{LATER_VERSION}/<mfgpath:subpath>"],
        type="http",
        auth=API_AUTH,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        csrf=False,
        save_session=False,
        # every request here writes (rate limit, log): a read/write transaction from the start
        readonly=False,
    )
    def dispatch(self, subpath, api_version=1, **_query):
        httprequest = request.httprequest
        api_request = ApiRequest(
            method=httprequest.method,
            path="/" + subpath,
            headers={key.lower(): value for key, value in httprequest.headers.items()},
            body=httprequest.get_data() if httprequest.method != "GET" else b"",
            query=httprequest.args.to_dict(),
            remote_addr=httprequest.remote_addr,
            api_version=_served_version(api_version),
        )
        env = request.env(user=SUPERUSER_ID, su=True)
        api_service = env["mfg.integration.api"]
        try:
            response = run_serialized(partial(api_service._handle, api_request), env)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # every retry met a conflicting transaction: a 503 the client can retry,
            # not Odoo's HTML error page
            busy = CommandProblem(
                "overloaded",
                "Other changes to the same records kept conflicting with this request; "
                "nothing was applied. Send it again (with the same Idempotency-Key).",
                retry_after=2,
            )
            response = api_service._handle(api_request, problem=busy)
        return to_http_response(response)
