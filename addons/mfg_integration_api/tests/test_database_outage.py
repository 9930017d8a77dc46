from unittest.mock import patch

import psycopg2
import psycopg2.errors

from odoo import http
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.mfg_integration_core.database import connection_failure

ADAPTER = "odoo.addons.mfg_integration_api.http_adapter"


def raised(make_error):
    try:
        make_error()
    except Exception as error:
        return error


def lost_connection(*_request):
    raise psycopg2.OperationalError("server closed the connection unexpectedly")


def registry_unusable(*_request):
    try:
        lost_connection()
    except psycopg2.OperationalError as error:
        raise http.RegistryError("Cannot get registry") from error


@tagged("post_install", "-at_install")
class TestDatabaseOutage(HttpCase):
    def test_connection_failures_are_told_from_other_database_errors(self):
        self.assertTrue(connection_failure(raised(lost_connection)))
        self.assertTrue(connection_failure(psycopg2.InterfaceError("connection already closed")))
        self.assertTrue(connection_failure(raised(registry_unusable)))
        self.assertTrue(connection_failure(psycopg2.errors.AdminShutdown()))
        self.assertTrue(connection_failure(psycopg2.errors.ConnectionFailure()))
        # concurrency errors are OperationalErrors too, but retried by the request
        self.assertIsNone(connection_failure(psycopg2.errors.SerializationFailure()))
        self.assertIsNone(connection_failure(psycopg2.errors.LockNotAvailable()))
        self.assertIsNone(connection_failure(psycopg2.errors.UniqueViolation()))
        self.assertIsNone(connection_failure(ValueError("not a database error")))

    def test_api_requests_get_a_problem_document_while_the_database_is_down(self):
        # the registry cannot be opened: Odoo falls back to its database-less
        # routes, which have none of the API's
        with patch.object(http.Request, "_serve_db", registry_unusable), mute_logger("odoo.http"):
            api = self.url_open(
                "/api/mfg/v1/production-orders",
                data=b"{}",
                headers={"Content-Type": "application/json", "X-Correlation-ID": "corr-1"},
            )
        with patch.object(http.Request, "_serve_db", lost_connection), mute_logger("odoo.http"):
            web = self.url_open("/odoo/action-mfg")
        self.assertEqual(api.status_code, 503)
        self.assertEqual(api.headers["Content-Type"], "application/problem+json; charset=utf-8")
        self.assertEqual(api.headers["Retry-After"], "5")
        self.assertEqual(api.headers["X-Correlation-ID"], "corr-1")
        problem = api.json()
        self.assertEqual(problem["type"], "/api/mfg/v1/problems/database-unavailable")
        self.assertEqual(problem["status"], 503)
        self.assertEqual(problem["correlation_id"], "corr-1")
        self.assertEqual(problem["instance"], "/api/mfg/v1/production-orders")
        # outside the API, Odoo answers as it always does
        self.assertEqual(web.status_code, 500)
        self.assertIn("text/html", web.headers["Content-Type"])

    def test_api_requests_get_a_problem_document_when_databases_cannot_be_listed(self):
        # Odoo reads a failed listing of the databases as "there are none"
        with (
            patch.object(http, "db_list", return_value=[]),
            patch(f"{ADAPTER}.list_dbs", side_effect=psycopg2.OperationalError("refused")),
            mute_logger("odoo.http"),
        ):
            down = self.url_open("/api/mfg/v1/production-orders/MO-1")
        self.assertEqual(down.status_code, 503)
        self.assertEqual(down.json()["type"], "/api/mfg/v1/problems/database-unavailable")
        # the database came back between Odoo's look and the adapter's: an outage
        with patch.object(http, "db_list", return_value=[]), mute_logger("odoo.http"):
            back = self.url_open("/api/mfg/v1/production-orders/MO-1")
        self.assertEqual(back.status_code, 503)
        self.assertEqual(back.json()["type"], "/api/mfg/v1/problems/database-unavailable")
        # the listing works but names no database for this host: not an outage
        with (
            patch.object(http, "db_list", return_value=[]),
            patch(f"{ADAPTER}.list_dbs", return_value=[]),
            mute_logger("odoo.http"),
        ):
            no_database = self.url_open("/api/mfg/v1/production-orders/MO-1")
        self.assertEqual(no_database.status_code, 404)

    def test_no_api_route_in_the_database_less_routing(self):
        """Loaded server-wide, the addon's routes must stay out of the routes Odoo
        serves without a database: they need one, and a converter of the registry
        there would break every database-less route."""
        urls = [
            url
            for url, _endpoint in http._generate_routing_rules(
                ["", "web", "mfg_integration_api"], nodb_only=True
            )
        ]
        self.assertIn("/web/health", urls)
        self.assertFalse([url for url in urls if url.startswith("/api/mfg/")], urls)
