"""Hourly aggregates of the message log and the outbox deliveries.

The Integration Health dashboard and the anomaly detector read these rows,
never the raw tables, so that they answer at once on millions of messages.
What a connected system sent is rolled up from the inbound rows of the message
log; what went out to subscribers from their deliveries (the log's outbound
rows are the attempts of those deliveries: rolling them up per system too
would count them twice, under a system that did not send them).
A cron rolls them up incrementally: each run recomputes, from the raw rows,
every hour that a row created (or a delivery changed) since the last run
touches, so a late row folds into its own hour. The raw log keeps its own
retention; an hour older than that retention is never recomputed (its raw
rows may be gone), and the aggregates keep their own, longer one.
"""

import json
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from odoo.addons.mfg_integration_core.models.retention import RetentionRule

# upper bounds (ms) of the latency buckets kept per hour, so that a p95 over
# any period can be read from the aggregates (the last bucket is open)
LATENCY_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000)
# a transaction that began before a run and commits after it wrote rows dated
# before that run: deliveries changed this long before the watermark are looked at again
DELIVERY_OVERLAP = timedelta(minutes=15)
ERROR_STATUSES = ("rejected", "failed")
# an inbound message refused before any caller was identified (no usable key)
UNKNOWN_CALLER_STATUS = 401
SCOPES = [
    ("system", "Connected system"),
    ("unknown_caller", "Refused: unknown caller"),
    ("subscriber", "Subscriber"),
]


def p95_from_buckets(buckets):
    """The 95th percentile (ms) of summed latency buckets: the upper bound of
    the bucket that holds it (None without any observation)."""
    total = sum(buckets)
    if not total:
        return None
    wanted = 0.95 * total
    seen = 0
    for bound, count in zip(LATENCY_BUCKETS_MS + (None,), buckets, strict=False):
        seen += count
        if seen >= wanted:
            return bound if bound is not None else LATENCY_BUCKETS_MS[-1]
    return LATENCY_BUCKETS_MS[-1]


def _bucket_sql(column):
    """SQL for a JSON array of how many rows fall in each latency bucket."""
    parts, lower = [], None
    for bound in LATENCY_BUCKETS_MS:
        low = f"{column} > {lower} AND " if lower is not None else ""
        parts.append(f"count(*) FILTER (WHERE {low}{column} <= {bound})")
        lower = bound
    parts.append(f"count(*) FILTER (WHERE {column} > {lower})")
    return SQL(f"jsonb_build_array({', '.join(parts)})")


class MfgIntegrationHourlyStat(models.Model):
    """What one connected system sent, unknown callers sent, or one subscriber
    was sent, in one hour."""

    _name = "mfg.integration.hourly.stat"
    _description = "Integration Hourly Statistics"
    _order = "hour desc, id desc"
    _rec_name = "hour"

    hour = fields.Datetime(required=True, index=True, help="Start of the hour (UTC).")
    scope = fields.Selection(
        SCOPES,
        required=True,
        index=True,
        help="Connected system: its inbound messages, from the message log (without a "
        "system: callers that have none). Refused: unknown caller: inbound messages "
        "refused before their caller was identified. Subscriber: from the outbox "
        "deliveries.",
    )
    system_id = fields.Many2one("mfg.integration.system", index=True, ondelete="cascade")
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")],
        help="Of the message log rows counted: inbound (what the systems sent).",
    )
    subscriber_model = fields.Char(
        index=True, help="The sink kind (webhook endpoint, broker sink...)."
    )
    subscriber_id = fields.Many2oneReference(model_field="subscriber_model", index=True)
    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    message_count = fields.Integer(string="Messages")
    error_count = fields.Integer(
        string="Errors",
        help="System: rejected or failed messages. Subscriber: deliveries that failed "
        "at least once.",
    )
    retry_count = fields.Integer(
        string="Retries", help="Attempts after the first (system: messages whose attempt > 1)."
    )
    dead_count = fields.Integer(string="Dead Letters")
    delivered_count = fields.Integer(string="Delivered")
    latency_p95_ms = fields.Float(
        string="p95 Latency (ms)",
        aggregator="max",
        help="System: the exchange's own latency. Subscriber: from the event's commit "
        "to the receiver's acknowledgement.",
    )
    latency_sum_ms = fields.Float(aggregator="sum")
    latency_buckets = fields.Json(help="Rows per latency bucket, for a p95 over any period.")

    def init(self):
        # the roll-up reads the raw log by hour; core orders it by id only
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS mfg_integration_message_log_create_date_index "
            "ON mfg_integration_message_log (create_date)"
        )
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS mfg_integration_hourly_stat_key_index "
            "ON mfg_integration_hourly_stat (scope, system_id, hour)"
        )

    # ------------------------------------------------------------------
    # Roll-up
    # ------------------------------------------------------------------
    @api.model
    def _cron_roll_up(self):
        """What the cron runs: fold what changed since the last run into its hours."""
        return self.sudo()._roll_up()

    @api.model
    def _roll_up(self, now=None):
        """Recompute every hour touched since the watermarks; return the hours
        recomputed, {scope: [hour]}."""
        now = now or fields.Datetime.now()
        watermark = self.env["mfg.integration.rollup.watermark"].sudo()._get()
        self.env.flush_all()
        # one roll-up at a time: a second one waits and then finds little to do
        self.env.cr.execute(
            "SELECT id FROM mfg_integration_rollup_watermark WHERE id = %s FOR UPDATE",
            (watermark.id,),
        )
        watermark.invalidate_recordset()
        cr = self.env.cr
        current = now.replace(minute=0, second=0, microsecond=0)

        # message log: rows with ids above the watermark, plus this hour and the
        # last (rows of transactions still open at the previous run)
        last_id = watermark.log_id
        cr.execute("SELECT max(id) FROM mfg_integration_message_log")
        max_id = cr.fetchone()[0] or 0
        cr.execute(
            "SELECT DISTINCT date_trunc('hour', create_date) FROM mfg_integration_message_log "
            "WHERE id > %s AND id <= %s",
            (last_id, max_id),
        )
        log_hours = {row[0] for row in cr.fetchall()} | {current, current - timedelta(hours=1)}
        log_hours = self._keep_recomputable(log_hours, "log_retention_days", 30)
        self._roll_up_log(sorted(log_hours))

        # deliveries: their state changes after they are created (retries, dead
        # letters), so an hour is touched by any delivery written since the last run
        since = watermark.delivery_since
        delivery_hours = {}
        for Sink in self.env["mfg.integration.outbox.sink"]._sink_models():
            Delivery = self.env[Sink._delivery_model]
            table = SQL.identifier(Delivery._table)
            if not since:
                cr.execute(SQL("SELECT DISTINCT date_trunc('hour', create_date) FROM %s", table))
            else:
                cr.execute(
                    SQL(
                        "SELECT DISTINCT date_trunc('hour', create_date) FROM %s "
                        "WHERE write_date >= %s",
                        table,
                        since - DELIVERY_OVERLAP,
                    )
                )
            hours = {row[0] for row in cr.fetchall()}
            hours = sorted(self._keep_recomputable(hours, "delivery_retention_days", 30))
            self._roll_up_deliveries(Sink, hours)
            delivery_hours[Sink._name] = hours
        watermark.write({"log_id": max_id, "delivery_since": now})
        self.env.invalidate_all()
        return {"system": sorted(log_hours), "subscriber": delivery_hours}

    @api.model
    def _keep_recomputable(self, hours, retention_setting, default_days):
        """The hours whose raw rows are all still there (not past their retention)."""
        cutoff = self.env["mfg.integration.retention"]._cutoff(retention_setting, default_days)
        if cutoff is None:
            return set(hours)
        return {hour for hour in hours if hour >= cutoff}

    @api.model
    def _roll_up_log(self, hours):
        """Recompute the rows of these hours that the inbound message log makes:
        per connected system, and for unknown callers."""
        if not hours:
            return
        cr = self.env.cr
        cr.execute(
            "DELETE FROM mfg_integration_hourly_stat "
            "WHERE scope IN ('system', 'unknown_caller') AND hour = ANY(%s)",
            (hours,),
        )
        cr.execute(
            SQL(
                """
            INSERT INTO mfg_integration_hourly_stat
                   (hour, scope, system_id, direction, company_id, message_count, error_count,
                    retry_count, dead_count, delivered_count, latency_p95_ms, latency_sum_ms,
                    latency_buckets, create_uid, create_date, write_uid, write_date)
            SELECT date_trunc('hour', log.create_date), %s, log.system_id, log.direction,
                   log.company_id, count(*),
                   count(*) FILTER (WHERE log.status IN %s),
                   count(*) FILTER (WHERE log.attempt > 1), 0,
                   count(*) FILTER (WHERE log.status NOT IN %s),
                   percentile_disc(0.95) WITHIN GROUP (ORDER BY log.latency_ms),
                   coalesce(sum(log.latency_ms), 0), %s,
                   %s, now() at time zone 'UTC', %s, now() at time zone 'UTC'
              FROM mfg_integration_message_log log
             WHERE log.direction = 'inbound'
               AND log.create_date >= %s AND log.create_date < %s
               AND date_trunc('hour', log.create_date) = ANY(%s)
          GROUP BY 1, 2, log.system_id, log.direction, log.company_id
                """,
                self._log_scope_sql(),
                ERROR_STATUSES,
                ERROR_STATUSES,
                _bucket_sql("coalesce(log.latency_ms, 0)"),
                self.env.uid,
                self.env.uid,
                hours[0],
                hours[-1] + timedelta(hours=1),
                hours,
            )
        )

    @api.model
    def _log_scope_sql(self):
        """The scope of an inbound log row: its system's, or that of unknown
        callers (refused before a client, hence a system, was known)."""
        return SQL(
            "CASE WHEN log.system_id IS NULL AND log.http_status = %s "
            "THEN 'unknown_caller' ELSE 'system' END",
            UNKNOWN_CALLER_STATUS,
        )

    @api.model
    def _log_domain(self, scope, system_id):
        """The message log rows that the rows of ``scope`` and ``system_id`` count."""
        domain = [("direction", "=", "inbound"), ("system_id", "=", system_id or False)]
        if scope == "unknown_caller":
            return domain + [("http_status", "=", UNKNOWN_CALLER_STATUS)]
        if not system_id:
            return domain + [("http_status", "!=", UNKNOWN_CALLER_STATUS)]
        return domain

    @api.model
    def _unattributed_label(self, scope):
        """How the dashboard and the anomalies name inbound traffic without a
        connected system."""
        if scope == "unknown_caller":
            return _("Refused: unknown caller")
        return _("No connected system")

    @api.model
    def _roll_up_deliveries(self, Sink, hours):
        """Recompute the subscriber rows of one sink kind for these hours (the
        hour a delivery was created in, the moment its event was committed)."""
        if not hours:
            return
        Delivery = self.env[Sink._delivery_model]
        cr = self.env.cr
        cr.execute(
            "DELETE FROM mfg_integration_hourly_stat "
            "WHERE scope = 'subscriber' AND subscriber_model = %s AND hour = ANY(%s)",
            (Sink._name, hours),
        )
        latency = "extract(epoch FROM delivery.delivered_at - delivery.create_date) * 1000"
        cr.execute(
            SQL(
                """
            INSERT INTO mfg_integration_hourly_stat
                   (hour, scope, system_id, subscriber_model, subscriber_id, company_id,
                    message_count, error_count, retry_count, dead_count, delivered_count,
                    latency_p95_ms, latency_sum_ms, latency_buckets,
                    create_uid, create_date, write_uid, write_date)
            SELECT date_trunc('hour', delivery.create_date), 'subscriber', sink.system_id, %s,
                   sink.id, sink.company_id, count(*),
                   count(*) FILTER (WHERE delivery.attempts > 1 OR delivery.state = 'dead'),
                   coalesce(sum(greatest(delivery.attempts - 1, 0)), 0),
                   count(*) FILTER (WHERE delivery.state = 'dead'),
                   count(*) FILTER (WHERE delivery.state = 'delivered'),
                   percentile_disc(0.95) WITHIN GROUP (ORDER BY %s)
                       FILTER (WHERE delivery.state = 'delivered'),
                   coalesce(sum(%s) FILTER (WHERE delivery.state = 'delivered'), 0),
                   %s,
                   %s, now() at time zone 'UTC', %s, now() at time zone 'UTC'
              FROM %s delivery
              JOIN %s sink ON sink.id = delivery.%s
             WHERE delivery.create_date >= %s AND delivery.create_date < %s
               AND date_trunc('hour', delivery.create_date) = ANY(%s)
          GROUP BY 1, sink.system_id, sink.id, sink.company_id
                """,
                Sink._name,
                SQL(latency),
                SQL(latency),
                self._delivered_buckets_sql(latency),
                self.env.uid,
                self.env.uid,
                SQL.identifier(Delivery._table),
                SQL.identifier(Sink._table),
                SQL.identifier(Delivery._sink_field),
                hours[0],
                hours[-1] + timedelta(hours=1),
                hours,
            )
        )

    @api.model
    def _delivered_buckets_sql(self, latency):
        # only deliveries that arrived have a commit-to-receipt latency
        return _bucket_sql(f"(CASE WHEN delivery.state = 'delivered' THEN {latency} END)")

    # ------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------
    @api.model
    def _sum_buckets(self, rows):
        """Add up the latency buckets of stat rows (dicts or records)."""
        total = [0] * (len(LATENCY_BUCKETS_MS) + 1)
        for row in rows:
            buckets = row["latency_buckets"]
            if isinstance(buckets, str):
                buckets = json.loads(buckets)
            for index, count in enumerate(buckets or ()):
                total[index] += count or 0
        return total


class MfgIntegrationRollupWatermark(models.Model):
    """How far the roll-up has read: one row. Not a system parameter, whose
    every write would clear the caches of every worker."""

    _name = "mfg.integration.rollup.watermark"
    _description = "Integration Health Roll-up Watermark"

    log_id = fields.Integer(help="The last message log id rolled up.")
    delivery_since = fields.Datetime(help="When the deliveries were last rolled up.")

    @api.model
    def _get(self):
        return self.search([], limit=1) or self.create({})


class MfgIntegrationRetention(models.AbstractModel):
    _inherit = "mfg.integration.retention"

    @api.model
    def _retention_rules(self):
        rules = super()._retention_rules()
        # the aggregates outlive the raw log: that is what they are for
        rules["hourly_stat"] = RetentionRule(
            "mfg.integration.hourly.stat", "health_stat_retention_days", 400, date_field="hour"
        )
        rules["anomaly"] = RetentionRule(
            "mfg.integration.anomaly",
            "anomaly_retention_days",
            180,
            date_field="hour",
            where=SQL("state = 'closed'"),
        )
        return rules
