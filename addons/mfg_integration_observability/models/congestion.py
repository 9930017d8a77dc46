"""Congestion forecast: will a subscriber's backlog (or a job channel's) drain in time?

Every minute a cron measures, per subscriber and per queue_job channel, the
backlog, the age of its oldest item and, over the last minutes, the arrival
rate (items that came in) and the service rate (items that left: delivered or
dead letters; jobs done or failed). When more leave than arrive, the backlog
"drains in about N minutes"; otherwise it is growing (or stalled). A
subscriber whose oldest waiting event is forecast to wait longer than its
delivery SLA opens an exception of category "congestion", before any
delivery runs out of attempts, and the exception settles itself once the
forecast is back within the SLA.
"""

import math
from datetime import timedelta

from odoo import _, api, fields, models

TRENDS = [
    ("clear", "Clear"),
    ("draining", "Draining"),
    ("stalled", "Not draining"),
    ("growing", "Growing"),
]
WAITING_JOB_STATES = ("wait_dependencies", "pending", "enqueued")


def forecast(backlog, arrived, served, window_minutes):
    """(trend, minutes to drain or None) from a backlog and what arrived and
    left during the last `window_minutes`."""
    if not backlog:
        return "clear", None
    arrival = arrived / window_minutes
    service = served / window_minutes
    if service > arrival:
        return "draining", backlog / (service - arrival)
    return ("growing", None) if arrival > service else ("stalled", None)


class MfgIntegrationCongestion(models.Model):
    """The latest forecast of one subscriber's or one job channel's backlog."""

    _name = "mfg.integration.congestion"
    _inherit = ["mfg.integration.retryable"]
    _description = "Integration Backlog Forecast"
    _order = "breach desc, backlog desc, id"

    name = fields.Char(
        required=True,
        help="The subscriber; for a job channel, what its jobs do (the descriptions of "
        "the models they run on).",
    )
    kind = fields.Selection(
        [("subscriber", "Subscriber"), ("channel", "Job channel")], required=True, index=True
    )
    subscriber_model = fields.Char(index=True)
    subscriber_id = fields.Many2oneReference(model_field="subscriber_model", index=True)
    channel = fields.Char(index=True)
    system_id = fields.Many2one("mfg.integration.system", ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    backlog = fields.Integer(help="Deliveries pending or retrying; jobs waiting.")
    oldest_age_seconds = fields.Integer(string="Oldest Waiting (s)")
    arrived = fields.Integer(help="Items that came in during the window.")
    served = fields.Integer(help="Items that left the backlog during the window.")
    window_minutes = fields.Integer()
    arrival_per_minute = fields.Float(digits=(16, 2))
    service_per_minute = fields.Float(digits=(16, 2))
    trend = fields.Selection(TRENDS, required=True, default="clear")
    drain_minutes = fields.Float(digits=(16, 1), help="Forecast time to an empty backlog.")
    forecast_label = fields.Char(string="Forecast")
    sla_seconds = fields.Integer(string="SLA (s)")
    breach = fields.Boolean(
        string="Will Miss SLA",
        index=True,
        help="The oldest waiting item is forecast to wait past the SLA.",
    )
    reason = fields.Text(help="Why: the backlog, the rates and the SLA.")
    checked_at = fields.Datetime()

    _sql_constraints = [
        (
            "target_unique",
            "UNIQUE (kind, subscriber_model, subscriber_id, channel)",
            "One forecast per subscriber and per channel.",
        )
    ]

    # ------------------------------------------------------------------
    # The incident service's retryable source
    # ------------------------------------------------------------------
    def _integration_retry(self):
        """Forecast again: True when the backlog is back within its SLA."""
        self.ensure_one()
        self._forecast_all()
        return not self.breach

    def _integration_succeeded(self):
        return not self.breach

    # ------------------------------------------------------------------
    # Forecasting
    # ------------------------------------------------------------------
    @api.model
    def _cron_forecast(self):
        """What the cron runs every minute."""
        return self.sudo()._forecast_all()

    @api.model
    def _forecast_all(self, now=None):
        """Forecast every subscriber and job channel; report the breaches that
        start, settle those that ended. Return the forecasts in breach."""
        now = now or fields.Datetime.now()
        get = self.env["mfg.integration.settings"]._get
        window = max(1, get("congestion_window_minutes", 5))
        # the oldest item must have waited this share of the SLA: a burst that
        # arrived a second ago is not yet a forecast
        min_age_share = get("congestion_min_age_share", 0.25)
        self.env.flush_all()
        rows = self._subscriber_rows(now, window) + self._channel_rows(now, window)
        existing = {record._target(): record for record in self.search([])}
        breaches = self.browse()
        for row in rows:
            values = self._forecast_values(row, now, window, min_age_share)
            record = existing.pop(row["target"], None)
            was_breach = bool(record and record.breach)
            if record:
                record.write(values)
            else:
                record = self.create(values)
            if record.breach:
                breaches |= record
                if not was_breach:
                    record._report()
            elif was_breach:
                self.env["mfg.integration.incident"]._source_settled(record)
        # subscribers and channels that are gone (or idle channels) keep no forecast
        stale = self.browse([record.id for record in existing.values()])
        settled = stale.filtered("breach")
        if settled:
            settled.breach = False
            self.env["mfg.integration.incident"]._source_settled(settled)
        stale.filtered(lambda record: record.kind == "channel").unlink()
        stale.exists().write(
            {"backlog": 0, "trend": "clear", "forecast_label": False, "checked_at": now}
        )
        return breaches

    def _target(self):
        self.ensure_one()
        return (
            self.kind,
            self.subscriber_model or False,
            self.subscriber_id or 0,
            self.channel or False,
        )

    @api.model
    def _subscriber_rows(self, now, window):
        """Backlog, oldest and rates of every active subscriber of every sink kind."""
        since = now - timedelta(minutes=window)
        rows = []
        for Sink in self.env["mfg.integration.outbox.sink"]._sink_models():
            Delivery = self.env[Sink._delivery_model]
            self.env.cr.execute(
                f"""
                SELECT sink.id, sink.name, sink.system_id, sink.company_id,
                       sink.delivery_sla_seconds,
                       count(delivery.id) FILTER (WHERE delivery.state IN ('pending', 'retrying')),
                       min(delivery.create_date)
                           FILTER (WHERE delivery.state IN ('pending', 'retrying')),
                       count(delivery.id) FILTER (WHERE delivery.create_date >= %(since)s),
                       count(delivery.id) FILTER (WHERE delivery.state IN ('delivered', 'dead')
                                                 AND delivery.write_date >= %(since)s)
                  FROM "{Sink._table}" sink
             LEFT JOIN "{Delivery._table}" delivery
                    ON delivery."{Delivery._sink_field}" = sink.id
                   AND (delivery.state IN ('pending', 'retrying')
                        OR delivery.create_date >= %(since)s
                        OR delivery.write_date >= %(since)s)
                 WHERE sink.state IN ('active', 'paused')
              GROUP BY sink.id
                """,
                {"since": since},
            )
            for (
                sink_id,
                name,
                system_id,
                company_id,
                sla,
                backlog,
                oldest,
                arrived,
                served,
            ) in self.env.cr.fetchall():
                rows.append(
                    {
                        "target": ("subscriber", Sink._name, sink_id, False),
                        "name": name,
                        "system_id": system_id,
                        "company_id": company_id,
                        "sla": sla or 0,
                        "backlog": backlog,
                        "oldest": oldest,
                        "arrived": arrived,
                        "served": served,
                    }
                )
        return rows

    @api.model
    def _channel_rows(self, now, window):
        """Backlog, oldest and rates of every queue_job channel with jobs waiting
        or moving; a channel has no SLA of its own unless set in the settings."""
        since = now - timedelta(minutes=window)
        sla = self.env["mfg.integration.settings"]._get("job_channel_sla_seconds", 0)
        self.env.cr.execute(
            """
            SELECT channel, min(company_id),
                   count(*) FILTER (WHERE state IN %(waiting)s),
                   min(date_created) FILTER (WHERE state IN %(waiting)s),
                   count(*) FILTER (WHERE date_created >= %(since)s),
                   count(*) FILTER (WHERE state IN ('done', 'failed', 'cancelled')
                                     AND coalesce(date_done, date_cancelled, date_started)
                                         >= %(since)s),
                   array_agg(DISTINCT model_name),
                   (array_agg(name ORDER BY date_created) FILTER (WHERE state IN %(waiting)s))[1]
              FROM queue_job
             WHERE state IN %(waiting)s OR date_created >= %(since)s OR date_done >= %(since)s
                OR date_cancelled >= %(since)s OR date_started >= %(since)s
          GROUP BY channel
            """,
            {"waiting": WAITING_JOB_STATES, "since": since},
        )
        return [
            {
                "target": ("channel", False, 0, channel),
                "name": self._job_label(job_models) or channel,
                "system_id": False,
                "company_id": company_id or self.env.company.id,
                "sla": sla,
                "backlog": backlog,
                "oldest": oldest,
                "oldest_job": oldest_job,
                "arrived": arrived,
                "served": served,
            }
            for (
                channel,
                company_id,
                backlog,
                oldest,
                arrived,
                served,
                job_models,
                oldest_job,
            ) in self.env.cr.fetchall()
        ]

    @api.model
    def _job_label(self, job_models):
        """What the jobs of a channel do, in words: the descriptions of the
        models their job functions run on (channel names are configuration)."""
        IrModel = self.env["ir.model"]
        return ", ".join(
            sorted({IrModel._get(model).name or model for model in job_models if model})
        )

    @api.model
    def _forecast_values(self, row, now, window, min_age_share):
        kind, subscriber_model, subscriber_id, channel = row["target"]
        backlog, arrived, served, sla = row["backlog"], row["arrived"], row["served"], row["sla"]
        oldest_age = int((now - row["oldest"]).total_seconds()) if row["oldest"] else 0
        trend, minutes = forecast(backlog, arrived, served, window)
        if trend == "draining":
            label = _("drains in about %s minutes", max(1, math.ceil(minutes)))
            expected_wait = oldest_age + minutes * 60
        elif trend == "clear":
            label = _("nothing waiting")
            expected_wait = 0
        else:
            label = _("growing") if trend == "growing" else _("not draining")
            expected_wait = math.inf
        breach = bool(sla and backlog and expected_wait > sla and oldest_age >= min_age_share * sla)
        reason = _(
            "%(backlog)s waiting, the oldest for %(age)s s. In the last %(window)s minutes "
            "%(arrived)s arrived (%(arrival).1f/min) and %(served)s left (%(service).1f/min): "
            "%(label)s.",
            backlog=backlog,
            age=oldest_age,
            window=window,
            arrived=arrived,
            arrival=arrived / window,
            served=served,
            service=served / window,
            label=label,
        )
        if kind == "channel":
            where = _("Job channel %s.", channel)
            if row["oldest_job"]:
                where += " " + _("The oldest waiting job: %s.", row["oldest_job"])
            reason = f"{where} {reason}"
        if sla:
            reason += " " + _(
                "SLA %(sla)s s: %(verdict)s",
                sla=sla,
                verdict=_("the oldest is forecast to wait past it.") if breach else _("within it."),
            )
        return {
            "name": row["name"],
            "kind": kind,
            "subscriber_model": subscriber_model,
            "subscriber_id": subscriber_id or False,
            "channel": channel,
            "system_id": row["system_id"] or False,
            "company_id": row["company_id"],
            "backlog": backlog,
            "oldest_age_seconds": oldest_age,
            "arrived": arrived,
            "served": served,
            "window_minutes": window,
            "arrival_per_minute": arrived / window,
            "service_per_minute": served / window,
            "trend": trend,
            "drain_minutes": minutes or 0.0,
            "forecast_label": label,
            "sla_seconds": sla,
            "breach": breach,
            "reason": reason,
            "checked_at": now,
        }

    def _subscriber(self):
        self.ensure_one()
        if self.kind != "subscriber" or self.subscriber_model not in self.env:
            return None
        return self.env[self.subscriber_model].sudo().browse(self.subscriber_id).exists() or None

    def _report(self):
        for record in self:
            what = (
                _("Subscriber %s", record.name)
                if record.kind == "subscriber"
                else _(
                    "%(jobs)s (job channel %(channel)s)", jobs=record.name, channel=record.channel
                )
            )
            self.env["mfg.integration.incident"]._report(
                "congestion",
                _(
                    "%(what)s: %(backlog)s waiting, %(label)s; the oldest will wait past "
                    "its SLA of %(sla)s s",
                    what=what,
                    backlog=record.backlog,
                    label=record.forecast_label,
                    sla=record.sla_seconds,
                ),
                key="|".join(str(part) for part in record._target()),
                severity="high",
                system=record.system_id or None,
                record=record._subscriber(),
                source=record,
                detail=record.reason,
            )

    def action_open_backlog(self):
        """The waiting deliveries (or jobs) this forecast counts."""
        self.ensure_one()
        if self.kind == "channel":
            return {
                "type": "ir.actions.act_window",
                "name": _("Waiting jobs of %s", self.channel),
                "res_model": "queue.job",
                "view_mode": "list,form",
                "views": [(False, "list"), (False, "form")],
                "domain": [
                    ("channel", "=", self.channel),
                    ("state", "in", list(WAITING_JOB_STATES)),
                ],
            }
        Sink = self.env[self.subscriber_model]
        Delivery = self.env[Sink._delivery_model]
        return {
            "type": "ir.actions.act_window",
            "name": _("Waiting deliveries of %s", self.name),
            "res_model": Delivery._name,
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [
                (Delivery._sink_field, "=", self.subscriber_id),
                ("state", "in", ["pending", "retrying"]),
            ],
        }


class MfgIntegrationOutboxSink(models.AbstractModel):
    _inherit = "mfg.integration.outbox.sink"

    congestion_forecast = fields.Char(
        compute="_compute_congestion_forecast",
        string="Backlog Forecast",
        help="From the arrival and service rates of the last minutes (updated every minute).",
    )
    congestion_reason = fields.Text(compute="_compute_congestion_forecast", string="Forecast Basis")
    congestion_breach = fields.Boolean(
        compute="_compute_congestion_forecast", string="Will Miss SLA"
    )

    def _compute_congestion_forecast(self):
        forecasts = (
            self.env["mfg.integration.congestion"]
            .sudo()
            .search(
                [
                    ("kind", "=", "subscriber"),
                    ("subscriber_model", "=", self._name),
                    ("subscriber_id", "in", self.ids),
                ]
            )
        )
        by_sink = {record.subscriber_id: record for record in forecasts}
        for sink in self:
            record = by_sink.get(sink.id)
            sink.congestion_forecast = record.forecast_label if record else False
            sink.congestion_reason = record.reason if record else False
            sink.congestion_breach = bool(record and record.breach)

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """Every sink kind's form shows the forecast above its sheet's content."""
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form" and self._name != "mfg.integration.outbox.sink":
            sheets = arch.xpath("//sheet")
            if sheets:
                from lxml import etree

                block = etree.fromstring(
                    """<div class="o_mfg_congestion_forecast">
                        <div class="alert alert-danger" role="alert"
                             invisible="not congestion_breach">
                            <strong>Backlog will miss its SLA: </strong>
                            <field name="congestion_forecast" class="d-inline" readonly="1"/>
                            <div><field name="congestion_reason" readonly="1"/></div>
                        </div>
                        <div class="alert alert-info" role="status"
                             invisible="congestion_breach or not congestion_forecast">
                            <strong>Backlog forecast: </strong>
                            <field name="congestion_forecast" class="d-inline" readonly="1"/>
                            <div><field name="congestion_reason" readonly="1"/></div>
                        </div>
                        <field name="congestion_breach" invisible="1"/>
                    </div>"""
                )
                sheets[0].insert(0, block)
        return arch, view
