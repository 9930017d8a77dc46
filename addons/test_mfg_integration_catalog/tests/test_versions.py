from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import http_sf

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CatalogCase


@tagged("post_install", "-at_install")
class TestVersions(CatalogCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Version = cls.env["mfg.integration.api.version"]
        cls.v2 = Version.create(
            {"number": 2, "state": "production", "documentation_url": "https://example.com/v2"}
        )
        cls.v1 = Version.create(
            {
                "number": 1,
                "state": "production",
                "successor_id": cls.v2.id,
                "documentation_url": "https://example.com/v1/deprecation",
            }
        )

    def deprecate(self, sunset):
        self.v1.write(
            {"state": "deprecated", "deprecation_date": date(2026, 1, 1), "sunset_date": sunset}
        )

    def test_a_production_version_carries_no_lifecycle_headers(self):
        status, _body, response = self.api("GET", "/production-orders")
        self.assertEqual(status, 200)
        for header in ("Deprecation", "Sunset"):
            self.assertNotIn(header, response.headers)

    def test_a_deprecated_version_says_when_it_goes_and_what_replaces_it(self):
        sunset = date.today() + timedelta(days=30)
        self.deprecate(sunset)
        status, body, response = self.create_order("PLN-V1", 2)
        self.assertEqual(status, 201, body)
        # RFC 9745: a structured-field Date
        deprecation, _params = http_sf.parse(
            response.headers["Deprecation"].encode(), tltype="item"
        )
        self.assertEqual(deprecation, datetime(2026, 1, 1, tzinfo=timezone.utc))
        # RFC 8594: an HTTP-date
        self.assertEqual(
            parsedate_to_datetime(response.headers["Sunset"]),
            datetime(sunset.year, sunset.month, sunset.day, tzinfo=timezone.utc),
        )
        links = response.headers["Link"]
        self.assertIn('<https://example.com/v1/deprecation>; rel="deprecation"', links)
        self.assertIn('<https://example.com/v1/deprecation>; rel="sunset"', links)
        self.assertIn('<https://example.com/v2>; rel="successor-version"', links)
        # refusals carry them too
        refused = self.api("POST", "/production-orders", {"id": "PLN-V2"})
        self.assertEqual(refused[0], 422)
        self.assertIn("Deprecation", refused[2].headers)
        # counted per client, and for the metric
        self.api("GET", "/production-orders", key=self.reader_key)
        usage = {u.client_id: u.request_count for u in self.v1.usage_ids}
        self.assertEqual(usage, {self.client: 2, self.reader: 1})

    def test_after_its_sunset_a_version_answers_410_naming_its_successor(self):
        self.deprecate(date.today())
        before = self.counts()
        body = self.assertProblem(self.create_order("PLN-V3", 2), 410, "gone")
        self.assertEqual(body["successor"], "v2")
        self.assertIn("use v2", body["detail"])
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.last_log().http_status, 410)

    def test_a_deprecated_version_names_its_successor(self):
        with self.assertRaisesRegex(ValidationError, "names its successor"):
            self.v2.write({"state": "deprecated"})
            self.env.flush_all()

    def test_the_owners_of_clients_still_calling_hear_30_and_7_days_before_the_sunset(self):
        self.deprecate(date.today() + timedelta(days=20))
        self.create_order("PLN-V4", 1)
        Version = self.env["mfg.integration.api.version"]
        Version._notify_upcoming_sunsets()
        notices = self.client.activity_ids
        self.assertEqual(len(notices), 1)
        self.assertEqual(notices.user_id, self.client.owner_id)
        self.assertEqual(notices.date_deadline, self.v1.sunset_date)
        self.assertIn("move to v2", notices.note)
        self.assertFalse(self.reader.activity_ids)  # it never called v1
        Version._notify_upcoming_sunsets()
        self.assertEqual(len(self.client.activity_ids), 1)  # once per notice
        self.v1.sunset_date = date.today() + timedelta(days=7)
        Version._notify_upcoming_sunsets()
        self.assertEqual(len(self.client.activity_ids), 2)
