"""The API's side of Odoo's HTTP layer: the response it writes, and what it
answers when the database cannot be reached.

A lost database connection fails below the controller (opening the registry or
the request's cursor, the final commit) where Odoo answers with an HTML page.
Under the API prefix the caller gets a 503 problem document instead, and
retries. Needs the addon in ``server_wide_modules`` to cover every request of a
worker, the first included.
"""

import json
import logging
import uuid

import psycopg2
from werkzeug.exceptions import NotFound

from odoo import http
from odoo.service.db import list_dbs

from odoo.addons.mfg_integration_command.problems import CommandProblem
from odoo.addons.mfg_integration_core.database import connection_failure

from .routing import API_ROOT

_logger = logging.getLogger(__name__)

DATABASE_RETRY_AFTER = 5


def to_http_response(outcome):
    """The werkzeug response that carries a command's Outcome: its status is
    the HTTP status; a refusal for want of a credential says how to send one."""
    headers = [("Content-Type", f"{outcome.content_type}; charset=utf-8")]
    headers += [(key, str(value)) for key, value in outcome.headers.items()]
    if outcome.kind == "unauthenticated":
        headers.append(("WWW-Authenticate", 'Bearer realm="mfg-integration"'))
    return http.Response(
        json.dumps(outcome.body, ensure_ascii=False, default=str),
        status=outcome.status,
        headers=headers,
    )


class DatabaseWasUnreachable(Exception):
    """Odoo found no database a moment ago, and finds the one it serves now."""


def database_listing_failure():
    """Why a request found no database, when an outage is why, or None: the
    listing fails, or it now finds the one database that the request would
    have been served with (the outage ended between the two looks)."""
    try:
        names = http.db_filter(list_dbs(force=True))
    except psycopg2.OperationalError as error:
        return error
    if len(names) == 1:
        return DatabaseWasUnreachable("the database was unreachable a moment ago")
    return None


class ApiHttpDispatcher(http.HttpDispatcher):
    """Odoo's dispatcher of type="http" routes, registered in its place (Odoo
    keys dispatchers by routing type), with database outages of the API answered
    as problem documents. Every other error is Odoo's to answer."""

    routing_type = "http"

    def handle_error(self, exc):
        httprequest = self.request.httprequest
        if not httprequest.path.startswith(API_ROOT):
            return super().handle_error(exc)
        lost = connection_failure(exc)
        if not lost and not self.request.db and isinstance(exc, NotFound):
            # no database chosen: Odoo treats a failed listing as an empty one
            lost = database_listing_failure()
        if not lost:
            return super().handle_error(exc)
        correlation_id = (httprequest.headers.get("X-Correlation-ID") or str(uuid.uuid4()))[:128]
        _logger.warning(
            "API %s %s: database unavailable (%s) [%s]",
            httprequest.method,
            httprequest.path,
            (str(lost).strip() or type(lost).__name__).splitlines()[0],
            correlation_id,
        )
        problem = CommandProblem(
            "database-unavailable",
            "The database cannot be reached at the moment; the request may not have been "
            "applied. Send it again after Retry-After, with the same Idempotency-Key.",
            retry_after=DATABASE_RETRY_AFTER,
        )
        response = problem.outcome(httprequest.path, correlation_id)
        response.headers["X-Correlation-ID"] = correlation_id
        return to_http_response(response)
