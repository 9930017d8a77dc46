from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from .health_common import HealthCase


class TestDashboardData(HealthCase):
    def test_figures_match_the_rows_and_open_exactly_the_records_they_count(self):
        at = self.hour - timedelta(hours=5) + timedelta(minutes=3)
        for latency in (10, 20, 30):
            self.log(at, latency_ms=latency)
        self.log(at, status="failed", latency_ms=2000, attempt=2)
        self.log(self.hour - timedelta(days=3), latency_ms=10)  # outside 24 hours, inside 7 days
        other = self.env["mfg.integration.system"].create({"code": "HLT-WMS", "name": "Other"})
        self.log(at, system=other)
        sink = self.make_sink(delivery_sla_seconds=600)
        self.deliveries(sink, 2, at, state="delivered", attempts=1, latency_s=1)
        self.deliveries(sink, 1, at, state="dead", attempts=8)
        self.deliveries(sink, 3, self.now - timedelta(minutes=4), state="pending")
        self.Stat._roll_up()

        data = self.env["mfg.integration.health"].get_health_data("24h", self.system.id)
        self.assertEqual([row["name"] for row in data["systems"]], [self.system.display_name])
        system = data["systems"][0]
        self.assertEqual(
            (system["messages"], system["errors"], system["retries"], system["error_rate"]),
            (4, 1, 1, 25.0),
        )
        self.assertEqual(system["p95_ms"], 2500, "the latency bucket that holds the p95")
        self.assertEqual(system["messages_per_hour"], round(4 / 24, 1))
        Log = self.env["mfg.integration.message.log"]
        for figure in ("messages", "errors", "retries"):
            action = system["actions"][figure]
            self.assertEqual(action["res_model"], "mfg.integration.message.log")
            self.assertEqual(Log.search_count(action["domain"]), system[figure], figure)

        subscriber = next(row for row in data["subscribers"] if row["id"] == sink.id)
        self.assertEqual(
            (
                subscriber["messages"],
                subscriber["dead"],
                subscriber["backlog"],
                subscriber["sla_s"],
            ),
            (6, 1, 3, 600),
        )
        self.assertGreaterEqual(subscriber["oldest_age_s"], 240)
        Delivery = self.env[sink._delivery_model]
        for figure in ("messages", "errors", "dead", "backlog"):
            action = subscriber["actions"][figure]
            self.assertEqual(action["res_model"], Delivery._name)
            self.assertEqual(Delivery.search_count(action["domain"]), subscriber[figure], figure)
        # retries are attempts after the first: the figure opens the deliveries that made them
        retried = Delivery.search(subscriber["actions"]["retries"]["domain"])
        self.assertEqual(subscriber["retries"], 7)
        self.assertEqual(sum(delivery.attempts - 1 for delivery in retried), 7)

        # the system's row adds up its subscribers' dead letters and backlog,
        # each part opening its own deliveries
        self.assertEqual((system["dead"], system["backlog"]), (1, 3))
        self.assertGreaterEqual(system["oldest_age_s"], 240)
        (part,) = system["outbound"]
        for figure in ("dead", "backlog"):
            found = Delivery.search_count(part["actions"][figure]["domain"])
            self.assertEqual(found, system[figure], figure)

        points = data["chart"]["points"]
        self.assertEqual(len(points), 24)
        self.assertEqual(sum(point["messages"] for point in points), 4)

        week = self.env["mfg.integration.health"].get_health_data("7d", self.system.id)
        self.assertEqual(week["systems"][0]["messages"], 5)
        self.assertEqual(len(week["chart"]["points"]), 7 * 24)
        month = self.env["mfg.integration.health"].get_health_data("30d")
        self.assertEqual(len(month["chart"]["points"]), 30, "one point a day")
        self.assertEqual(
            {row["name"] for row in month["systems"]}
            >= {self.system.display_name, other.display_name},
            True,
        )

    def test_inbound_traffic_without_a_system_is_named_for_what_it_is(self):
        # a subscriber with no system (as a broker sink for analytics): its
        # outbound attempts are logged without a system, and are no system's traffic
        sink = self.make_sink(name="Analytics", system_id=False)
        self.deliveries(sink, 4, self.now)
        self.assertEqual(sink._drain(), "4 sent, 4 delivered")
        at = self.hour - timedelta(hours=1) + timedelta(minutes=5)
        self.log(at)
        for _attempt in range(3):
            self.log(at, status="rejected", system=False, http_status=401)
        self.log(at, system=False, http_status=200)  # a client without a system
        self.Stat._roll_up()

        data = self.env["mfg.integration.health"].get_health_data("24h")
        self.assertEqual(
            [(row["name"], row["messages"], row["errors"]) for row in data["systems"]],
            [
                (self.system.display_name, 1, 0),
                ("No connected system", 1, 0),
                ("Refused: unknown caller", 3, 3),
            ],
            "the systems first, then what came without one",
        )
        self.assertEqual([row["unknown_caller"] for row in data["systems"]], [False, False, True])
        self.assertEqual(len({row["key"] for row in data["systems"]}), 3)
        Log = self.env["mfg.integration.message.log"]
        for row in data["systems"]:
            for figure in ("messages", "errors"):
                found = Log.search(row["actions"][figure]["domain"])
                self.assertEqual(len(found), row[figure], (row["name"], figure))
                self.assertEqual(set(found.mapped("direction")), {"inbound"} if found else set())
        subscriber = next(row for row in data["subscribers"] if row["id"] == sink.id)
        self.assertEqual((subscriber["messages"], subscriber["system"]), (4, ""))
        # the chart: what the callers with or without a system sent, not the refusals
        self.assertEqual(sum(point["messages"] for point in data["chart"]["points"]), 2)

    def test_open_exceptions_by_category_open_those_exceptions(self):
        if "mfg.integration.exception" not in self.env:
            data = self.env["mfg.integration.health"].get_health_data("24h")
            self.assertIsNone(data["exceptions"], "without the exception app: no such figure")
            return
        self.env["mfg.integration.incident"]._report(
            "other", "Something odd", key="hlt-odd", system=self.system
        )
        data = self.env["mfg.integration.health"].get_health_data("24h", self.system.id)
        row = next(row for row in data["exceptions"] if row["category"] == "other")
        self.assertEqual(row["count"], 1)
        found = self.env[row["action"]["res_model"]].search(row["action"]["domain"])
        self.assertEqual(found.name, "Something odd")

    def test_bad_input_is_refused_clearly(self):
        Health = self.env["mfg.integration.health"]
        with self.assertRaisesRegex(UserError, "Unknown period 1y"):
            Health.get_health_data("1y")
        with self.assertRaisesRegex(UserError, "does not exist"):
            Health.get_health_data("24h", 999999999)

    def test_only_integration_users_read_it(self):
        outsider = new_test_user(self.env, login="hlt_outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["mfg.integration.health"].with_user(outsider).get_health_data("24h")

    def test_another_companys_figures_stay_hidden(self):
        other_company = self.env["res.company"].create({"name": "Other plant"})
        foreign = self.env["mfg.integration.system"].create(
            {"code": "HLT-FOREIGN", "name": "Foreign", "company_id": other_company.id}
        )
        self.log(self.hour - timedelta(hours=1), system=foreign).company_id = other_company
        self.Stat._roll_up()
        data = (
            self.env["mfg.integration.health"]
            .with_context(allowed_company_ids=[self.env.company.id])
            .get_health_data("24h")
        )
        self.assertNotIn(foreign.display_name, [row["name"] for row in data["systems"]])
