"""The data of the Integration Health dashboard.

It reads the hourly aggregates (never the raw log), the live backlog of each
subscriber and the latest warnings, and returns with every figure the window
action that opens the records it counts.
"""

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .hourly_stat import p95_from_buckets

PERIODS = {"24h": (24, "hour"), "7d": (7 * 24, "hour"), "30d": (30 * 24, "day")}
# the exception app's open states; read by name so that this addon does not depend on it
OPEN_EXCEPTION_STATES = ["new", "in_progress", "waiting", "escalated"]


class MfgIntegrationHealth(models.AbstractModel):
    _name = "mfg.integration.health"
    _description = "Integration Health Dashboard"

    @api.model
    def get_health_data(self, period="24h", system_id=None):
        """Every figure of the dashboard for the last `period` ("24h", "7d",
        "30d"), for every connected system or for the one given."""
        # the aggregates are read in SQL: the group is checked here
        if not self.env.user.has_group("mfg_integration_core.group_integration_user"):
            raise AccessError(_("Integration Health is for integration users."))
        if period not in PERIODS:
            raise UserError(
                _(
                    "Unknown period %(period)s: use one of %(periods)s.",
                    period=period,
                    periods=", ".join(PERIODS),
                )
            )
        if system_id:
            system = self.env["mfg.integration.system"].browse(int(system_id)).exists()
            if not system:
                raise UserError(_("Connected system %s does not exist or is not yours.", system_id))
            system.check_access("read")
        hours, granularity = PERIODS[period]
        now = fields.Datetime.now()
        until = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        since = until - timedelta(hours=hours)
        rows = self._stat_rows(since, until, system_id and int(system_id))
        systems = self._system_figures(rows, since, until, hours)
        subscribers = self._subscriber_figures(
            rows, since, until, hours, system_id and int(system_id)
        )
        self._add_outbound_parts(systems, subscribers, since, until, hours)
        return {
            "period": period,
            "since": fields.Datetime.to_string(since),
            "until": fields.Datetime.to_string(until),
            "system_id": system_id and int(system_id) or False,
            "systems": systems,
            "subscribers": subscribers,
            "exceptions": self._exception_figures(system_id and int(system_id)),
            "warnings": self._warnings(system_id and int(system_id)),
            "channels": self._channel_figures(),
            "chart": self._chart(rows, since, until, granularity),
            "system_choices": [
                {"id": record.id, "name": record.display_name}
                for record in self.env["mfg.integration.system"].search([])
            ],
        }

    # ------------------------------------------------------------------
    # Reading the aggregates
    # ------------------------------------------------------------------
    @api.model
    def _stat_rows(self, since, until, system_id=None):
        """The hourly rows of the period, of the user's companies (read in SQL:
        the company filter is the record rule's)."""
        query = """
            SELECT hour, scope, system_id, subscriber_model, subscriber_id, message_count,
                   error_count, retry_count, dead_count, delivered_count, latency_p95_ms,
                   latency_buckets
              FROM mfg_integration_hourly_stat
             WHERE hour >= %s AND hour < %s AND company_id = ANY(%s)
        """
        params = [since, until, self.env.companies.ids]
        if system_id:
            query += " AND system_id = %s"
            params.append(system_id)
        self.env["mfg.integration.hourly.stat"].flush_model()
        self.env.cr.execute(query, params)
        names = [column.name for column in self.env.cr.description]
        return [dict(zip(names, row, strict=True)) for row in self.env.cr.fetchall()]

    @api.model
    def _totals(self, rows, hours):
        Stat = self.env["mfg.integration.hourly.stat"]
        messages = sum(row["message_count"] for row in rows)
        errors = sum(row["error_count"] for row in rows)
        return {
            "messages": messages,
            "messages_per_hour": round(messages / hours, 1),
            "errors": errors,
            "error_rate": round(100.0 * errors / messages, 1) if messages else 0.0,
            "p95_ms": p95_from_buckets(Stat._sum_buckets(rows)),
            "retries": sum(row["retry_count"] for row in rows),
            "dead": sum(row["dead_count"] for row in rows),
        }

    @api.model
    def _system_figures(self, rows, since, until, hours):
        """What each connected system sent; what callers without a system sent,
        and what unknown callers sent (refused), each in a row of its own."""
        Stat = self.env["mfg.integration.hourly.stat"]
        by_system = {}
        for row in rows:
            if row["scope"] in ("system", "unknown_caller"):
                key = (row["scope"], row["system_id"] or False)
                by_system.setdefault(key, []).append(row)
        systems = self.env["mfg.integration.system"].browse(
            [system_id for _scope, system_id in by_system if system_id]
        )
        names = {system.id: system.display_name for system in systems}
        result = []
        for (scope, system_id), system_rows in by_system.items():
            figures = self._totals(system_rows, hours)
            base = Stat._log_domain(scope, system_id) + [
                ("create_date", ">=", fields.Datetime.to_string(since)),
                ("create_date", "<", fields.Datetime.to_string(until)),
            ]
            title = names.get(system_id) or Stat._unattributed_label(scope)
            figures.update(
                key=f"{scope}-{system_id or 0}",
                id=system_id,
                name=title,
                # every message of this row is a refusal: its error rate is no alarm
                unknown_caller=scope == "unknown_caller",
                actions={
                    "messages": self._log_action(_("Messages of %s", title), base),
                    "errors": self._log_action(
                        _("Errors of %s", title), base + [("status", "in", ["rejected", "failed"])]
                    ),
                    "retries": self._log_action(
                        _("Retried messages of %s", title), base + [("attempt", ">", 1)]
                    ),
                    "latency": self._log_action(
                        _("Slowest messages of %s", title), base, order="latency_ms desc"
                    ),
                },
            )
            result.append(figures)
        # the connected systems, then traffic without one
        return sorted(
            result,
            key=lambda figures: (
                figures["unknown_caller"],
                not figures["id"],
                -figures["messages"],
                figures["name"],
            ),
        )

    @api.model
    def _subscriber_figures(self, rows, since, until, hours, system_id=None):
        by_subscriber = {}
        for row in rows:
            if row["scope"] == "subscriber":
                key = (row["subscriber_model"], row["subscriber_id"])
                by_subscriber.setdefault(key, []).append(row)
        forecasts = {
            (record.subscriber_model, record.subscriber_id): record
            for record in self.env["mfg.integration.congestion"].search(
                [("kind", "=", "subscriber")]
            )
        }
        result = []
        for Sink in self.env["mfg.integration.outbox.sink"]._sink_models():
            if not (Sink.has_access("read") and self.env[Sink._delivery_model].has_access("read")):
                continue  # a sink kind this user may not see
            domain = [("state", "in", ["active", "paused"])]
            if system_id:
                domain.append(("system_id", "=", system_id))
            sinks = Sink.search(domain)
            if not sinks and not any(key[0] == Sink._name for key in by_subscriber):
                continue
            Delivery = self.env[Sink._delivery_model]
            sink_field = Delivery._sink_field
            live = {
                sink.id: (count, oldest)
                for sink, count, oldest in Delivery._read_group(
                    [(sink_field, "in", sinks.ids), ("state", "in", ["pending", "retrying"])],
                    [sink_field],
                    ["__count", "create_date:min"],
                )
            }
            now = fields.Datetime.now()
            for sink in sinks:
                figures = self._totals(by_subscriber.get((Sink._name, sink.id), []), hours)
                backlog, oldest = live.get(sink.id, (0, None))
                forecast = forecasts.get((Sink._name, sink.id))
                mine = [(sink_field, "=", sink.id)]
                period = [
                    ("create_date", ">=", fields.Datetime.to_string(since)),
                    ("create_date", "<", fields.Datetime.to_string(until)),
                ]
                figures.update(
                    key=f"{Sink._name},{sink.id}",
                    model=Sink._name,
                    id=sink.id,
                    name=sink.display_name,
                    kind=Sink._description,
                    system=sink.system_id.display_name or "",
                    system_id=sink.system_id.id,
                    backlog=backlog,
                    oldest_age_s=int((now - oldest).total_seconds()) if oldest else 0,
                    sla_s=sink.delivery_sla_seconds,
                    forecast=forecast.forecast_label if forecast else "",
                    trend=forecast.trend if forecast else "clear",
                    breach=bool(forecast and forecast.breach),
                    forecast_reason=forecast.reason if forecast else "",
                    actions={
                        "messages": self._records_action(
                            Delivery, _("Deliveries to %s", sink.display_name), mine + period
                        ),
                        "errors": self._records_action(
                            Delivery,
                            _("Failed deliveries to %s", sink.display_name),
                            mine + period + ["|", ("attempts", ">", 1), ("state", "=", "dead")],
                        ),
                        "retries": self._records_action(
                            Delivery,
                            _("Retried deliveries to %s", sink.display_name),
                            mine + period + [("attempts", ">", 1)],
                        ),
                        "dead": self._records_action(
                            Delivery,
                            _("Dead letters of %s", sink.display_name),
                            mine + period + [("state", "=", "dead")],
                        ),
                        "backlog": self._records_action(
                            Delivery,
                            _("Waiting deliveries of %s", sink.display_name),
                            mine + [("state", "in", ["pending", "retrying"])],
                            order="create_date",
                        ),
                        "latency": self._records_action(
                            Delivery,
                            _("Delivered to %s", sink.display_name),
                            mine + period + [("state", "=", "delivered")],
                        ),
                        "subscriber": {
                            "type": "ir.actions.act_window",
                            "res_model": Sink._name,
                            "res_id": sink.id,
                            "views": [(False, "form")],
                            "target": "current",
                        },
                    },
                )
                result.append(figures)
        return sorted(
            result,
            key=lambda figures: (not figures["breach"], -figures["backlog"], figures["name"]),
        )

    @api.model
    def _add_outbound_parts(self, systems, subscribers, since, until, hours):
        """Give each system its subscribers' dead letters and backlog, one part
        per sink kind (each part opens its own deliveries); a system whose
        subscribers have work but that logged nothing gets a row too."""
        by_system = {row["id"]: row for row in systems if row["id"]}
        parts = {}
        for row in subscribers:
            if not row["system_id"] or not (row["dead"] or row["backlog"]):
                continue
            part = parts.setdefault(
                (row["system_id"], row["model"]),
                {"model": row["model"], "kind": row["kind"], "dead": 0, "backlog": 0},
            )
            part["dead"] += row["dead"]
            part["backlog"] += row["backlog"]
            part["oldest_age_s"] = max(part.get("oldest_age_s", 0), row["oldest_age_s"])
        empty = self._totals([], hours)
        for (system_id, model), part in sorted(parts.items(), key=lambda item: item[0][1]):
            system = by_system.get(system_id)
            if system is None:
                record = self.env["mfg.integration.system"].browse(system_id)
                system = by_system[system_id] = dict(
                    empty,
                    key=f"system-{system_id}",
                    id=system_id,
                    name=record.display_name,
                    unknown_caller=False,
                    actions={},
                )
                systems.append(system)
            Delivery = self.env[self.env[model]._delivery_model]
            mine = [(f"{Delivery._sink_field}.system_id", "=", system_id)]
            period = [
                ("create_date", ">=", fields.Datetime.to_string(since)),
                ("create_date", "<", fields.Datetime.to_string(until)),
            ]
            part["actions"] = {
                "dead": self._records_action(
                    Delivery,
                    _("Dead letters to %s", system["name"]),
                    mine + period + [("state", "=", "dead")],
                ),
                "backlog": self._records_action(
                    Delivery,
                    _("Deliveries waiting for %s", system["name"]),
                    mine + [("state", "in", ["pending", "retrying"])],
                    order="create_date",
                ),
            }
            system.setdefault("outbound", []).append(part)
        for system in systems:
            outbound = system.setdefault("outbound", [])
            system["dead"] = sum(part["dead"] for part in outbound)
            system["backlog"] = sum(part["backlog"] for part in outbound)
            system["oldest_age_s"] = max([part["oldest_age_s"] for part in outbound] or [0])

    @api.model
    def _channel_figures(self):
        """The job channels with work waiting, with their forecast."""
        return [
            {
                "id": forecast.id,
                "name": forecast.name,
                "channel": forecast.channel,
                "backlog": forecast.backlog,
                "oldest_age_s": forecast.oldest_age_seconds,
                "forecast": forecast.forecast_label or "",
                "trend": forecast.trend,
                "reason": forecast.reason,
                "action": forecast.action_open_backlog(),
            }
            for forecast in self.env["mfg.integration.congestion"].search(
                [("kind", "=", "channel"), ("backlog", ">", 0)], order="backlog desc", limit=20
            )
        ]

    @api.model
    def _exception_figures(self, system_id=None):
        """Open exceptions by category, when the exception app is installed (None otherwise)."""
        if "mfg.integration.exception" not in self.env:
            return None
        if not self.env["mfg.integration.exception"].has_access("read"):
            return None
        Exception_ = self.env["mfg.integration.exception"]
        domain = [("state", "in", OPEN_EXCEPTION_STATES)]
        if system_id:
            domain.append(("system_id", "=", system_id))
        labels = dict(Exception_._fields["category"]._description_selection(self.env))
        result = []
        for category, count in Exception_._read_group(domain, ["category"], ["__count"]):
            label = labels.get(category, category)
            result.append(
                {
                    "category": category,
                    "label": label,
                    "count": count,
                    "action": self._records_action(
                        Exception_,
                        _("Open exceptions: %s", label),
                        domain + [("category", "=", category)],
                    ),
                }
            )
        return sorted(result, key=lambda row: -row["count"])

    @api.model
    def _warnings(self, system_id=None):
        """Open anomalies and forecasts that will miss their SLA, each with why."""
        domain = [("system_id", "=", system_id)] if system_id else []
        warnings = []
        for anomaly in self.env["mfg.integration.anomaly"].search(
            domain + [("state", "=", "open")]
        ):
            warnings.append(
                {
                    "key": f"anomaly-{anomaly.id}",
                    "kind": "anomaly",
                    "summary": anomaly.name,
                    "reason": anomaly.reason,
                    "action": self._records_action(
                        anomaly, anomaly.name, [("id", "=", anomaly.id)], form_id=anomaly.id
                    ),
                }
            )
        forecasts = self.env["mfg.integration.congestion"].search(
            domain + ["|", ("breach", "=", True), ("trend", "in", ["growing", "stalled"])]
        )
        for forecast in forecasts:
            warnings.append(
                {
                    "key": f"congestion-{forecast.id}",
                    "kind": "congestion" if forecast.breach else "backlog",
                    "summary": f"{forecast.name}: {forecast.forecast_label}",
                    "reason": forecast.reason,
                    "action": forecast.action_open_backlog(),
                }
            )
        return warnings

    @api.model
    def _chart(self, rows, since, until, granularity):
        """Messages, errors and p95 per hour (per day over 30 days) of the
        connected systems' traffic, one point per slot even when silent."""
        Stat = self.env["mfg.integration.hourly.stat"]
        step = timedelta(hours=1) if granularity == "hour" else timedelta(days=1)
        slots, start = [], since
        while start < until:
            slots.append(start)
            start += step
        grouped = {slot: [] for slot in slots}
        for row in rows:
            if row["scope"] != "system":
                continue  # deliveries, and unknown callers' refusals, are no system's traffic
            offset = int((row["hour"] - since) / step)
            if 0 <= offset < len(slots):
                grouped[slots[offset]].append(row)
        points = []
        for slot in slots:
            slot_rows = grouped[slot]
            points.append(
                {
                    "label": slot.strftime("%H:00" if granularity == "hour" else "%m-%d"),
                    "start": fields.Datetime.to_string(slot),
                    "messages": sum(row["message_count"] for row in slot_rows),
                    "errors": sum(row["error_count"] for row in slot_rows),
                    "p95_ms": p95_from_buckets(Stat._sum_buckets(slot_rows)) or 0,
                }
            )
        return {"granularity": granularity, "points": points}

    # ------------------------------------------------------------------
    # Actions that open what a figure counts
    # ------------------------------------------------------------------
    @api.model
    def _log_action(self, name, domain, order=None):
        return self._records_action(
            self.env["mfg.integration.message.log"], name, domain, order=order
        )

    @api.model
    def _records_action(self, model, name, domain, order=None, form_id=None):
        action = {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model._name,
            "domain": domain,
            "views": [(False, "list"), (False, "form")],
            "target": "current",
            "context": {"create": False},
        }
        if order:
            action["context"]["default_order"] = order
        if form_id:
            action.update(res_id=form_id, views=[(False, "form")])
        return action
