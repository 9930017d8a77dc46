"""Anomalies: an hour of a system or subscriber unlike the same hour of its past days.

Each connected system and each subscriber is compared with its own recent
baseline: the hourly volume and error rate of the last complete hour against
the median and the median absolute deviation (MAD) of the same hour over the
past days (a robust z-score, which a single odd day in the baseline does not
move). A significant deviation opens an exception of category "anomaly"
through the incident service, with the figures that triggered it; the
anomaly closes itself, and settles its exception, at the first hour that is
normal again. A key with less history than the minimum (a new system, a new
subscriber) is never judged.
"""

import statistics
from datetime import timedelta

from odoo import _, api, fields, models

from .hourly_stat import SCOPES

# 1.4826 * MAD estimates the standard deviation of normally distributed data
MAD_TO_SIGMA = 1.4826
METRICS = [("volume", "Hourly volume"), ("error_rate", "Error rate")]


def robust_score(value, baseline, floor):
    """(median, MAD, z): how many robust standard deviations `value` lies
    from `baseline`; `floor` bounds the scale from below, so that a perfectly
    flat baseline does not turn any change into a deviation."""
    median = statistics.median(baseline)
    mad = statistics.median([abs(point - median) for point in baseline])
    scale = max(MAD_TO_SIGMA * mad, floor)
    return median, mad, (value - median) / scale


class MfgIntegrationAnomaly(models.Model):
    """A deviation of a system's or subscriber's traffic from its own baseline."""

    _name = "mfg.integration.anomaly"
    _inherit = ["mfg.integration.retryable"]
    _description = "Integration Traffic Anomaly"
    _order = "state, hour desc, id desc"

    name = fields.Char(string="Summary", required=True)
    scope = fields.Selection(SCOPES, required=True)
    system_id = fields.Many2one("mfg.integration.system", index=True, ondelete="cascade")
    subscriber_model = fields.Char()
    subscriber_id = fields.Many2oneReference(model_field="subscriber_model")
    metric = fields.Selection(METRICS, required=True)
    hour = fields.Datetime(required=True, help="The hour that first deviated (UTC).")
    last_hour = fields.Datetime(help="The latest hour that deviated.")
    observed = fields.Float(digits=(16, 4), help="Messages, or errors per message.")
    baseline_median = fields.Float(digits=(16, 4))
    baseline_mad = fields.Float(string="Baseline MAD", digits=(16, 4))
    baseline_days = fields.Integer(help="How many past days the baseline holds.")
    score = fields.Float(digits=(16, 2), help="Robust z-score: deviations from the median.")
    reason = fields.Text(help="Why it fired: the figures and the baseline.")
    state = fields.Selection(
        [("open", "Open"), ("closed", "Passed")], default="open", required=True, index=True
    )
    closed_at = fields.Datetime(readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True)

    # ------------------------------------------------------------------
    # The incident service's retryable source
    # ------------------------------------------------------------------
    def _integration_retry(self):
        """Judge the latest complete hour again: True when it is normal now."""
        self.ensure_one()
        self._detect()
        return self.state == "closed"

    def _integration_succeeded(self):
        return self.state == "closed"

    # ------------------------------------------------------------------
    # Detection
    # ------------------------------------------------------------------
    @api.model
    def _settings(self):
        get = self.env["mfg.integration.settings"]._get
        return {
            "threshold": get("anomaly_threshold", 3.5),
            "baseline_days": get("anomaly_baseline_days", 14),
            "min_history_days": get("anomaly_min_history_days", 7),
            "min_volume_delta": get("anomaly_min_volume_delta", 10),
            "min_messages": get("anomaly_min_messages", 20),
            "min_error_rate_delta": get("anomaly_min_error_rate_delta", 0.05),
        }

    @api.model
    def _cron_detect(self):
        """What the cron runs, after the roll-up: judge the last complete hour."""
        return self.sudo()._detect()

    @api.model
    def _detect(self, now=None):
        """Judge the last complete hour of every system and subscriber; open
        anomalies for deviations, close those that passed. Return the open ones."""
        now = now or fields.Datetime.now()
        hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        settings = self._settings()
        series, first_seen = self._hourly_series(hour, settings["baseline_days"])
        findings = {}
        for key, points in series.items():
            history_start = hour - timedelta(days=settings["min_history_days"])
            if first_seen[key] > history_start:
                continue  # too new to have a baseline of its own
            past = [
                points.get(hour - timedelta(days=day), (0, 0))
                for day in range(1, settings["baseline_days"] + 1)
                if hour - timedelta(days=day) >= first_seen[key]
            ]
            current = points.get(hour, (0, 0))
            for metric, finding in self._judge(current, past, settings).items():
                findings[key + (metric,)] = finding
        return self._apply_findings(hour, findings)

    @api.model
    def _hourly_series(self, hour, baseline_days):
        """{key: {hour: (messages, errors)}} for `hour` and the same hour of the
        past days, and {key: first hour seen}; a key is (scope, system id,
        subscriber model, subscriber id, company id)."""
        hours = [hour - timedelta(days=day) for day in range(baseline_days + 1)]
        cr = self.env.cr
        key_sql = """scope, coalesce(system_id, 0),
                     coalesce(CASE WHEN scope = 'subscriber' THEN subscriber_model END, ''),
                     coalesce(CASE WHEN scope = 'subscriber' THEN subscriber_id END, 0),
                     company_id"""
        cr.execute(
            f"""SELECT {key_sql}, hour, sum(message_count), sum(error_count)
                 FROM mfg_integration_hourly_stat
                WHERE hour = ANY(%s)
             GROUP BY {key_sql}, hour""",
            (hours,),
        )
        series = {}
        for *key, at, messages, errors in cr.fetchall():
            series.setdefault(tuple(key), {})[at] = (messages, errors)
        cr.execute(
            f"""SELECT {key_sql}, min(hour) FROM mfg_integration_hourly_stat
                WHERE hour <= %s GROUP BY {key_sql}""",
            (hour,),
        )
        first_seen = {tuple(key): at for *key, at in cr.fetchall()}
        # a key silent in every compared hour is not judged (nothing to compare)
        return {key: points for key, points in series.items() if key in first_seen}, first_seen

    @api.model
    def _judge(self, current, past, settings):
        """{metric: finding} for the metrics of `current` (messages, errors)
        that deviate from `past` [(messages, errors)]; each finding is a dict
        of the figures that say why."""
        findings = {}
        if len(past) < settings["min_history_days"]:
            return findings
        threshold = settings["threshold"]
        messages, errors = current
        volumes = [point[0] for point in past]
        median, mad, score = robust_score(
            messages, volumes, floor=max(1.0, 0.1 * statistics.median(volumes))
        )
        if abs(score) >= threshold and abs(messages - median) >= settings["min_volume_delta"]:
            findings["volume"] = {
                "observed": messages,
                "median": median,
                "mad": mad,
                "score": score,
                "days": len(past),
            }
        rates = [point[1] / point[0] for point in past if point[0]]
        if messages >= settings["min_messages"] and len(rates) >= settings["min_history_days"]:
            rate = errors / messages
            median, mad, score = robust_score(rate, rates, floor=0.02)
            if score >= threshold and rate - median >= settings["min_error_rate_delta"]:
                findings["error_rate"] = {
                    "observed": rate,
                    "median": median,
                    "mad": mad,
                    "score": score,
                    "days": len(rates),
                    "messages": messages,
                    "errors": errors,
                }
        return findings

    @api.model
    def _apply_findings(self, hour, findings):
        """Open or refresh the anomalies found; close the open ones not found."""
        opened = self.browse()
        open_anomalies = self.search([("state", "=", "open")])
        by_key = {anomaly._key(): anomaly for anomaly in open_anomalies}
        for key, finding in findings.items():
            anomaly = by_key.pop(key, None)
            values = self._values_for(key, hour, finding)
            if anomaly:
                values.pop("hour")
                anomaly.write(values)
            else:
                anomaly = self.create(values)
                anomaly._report()
            opened |= anomaly
        passed = self.browse()
        for anomaly in by_key.values():
            if anomaly.last_hour and anomaly.last_hour >= hour:
                continue  # found in a later hour than the one judged now
            passed |= anomaly
        if passed:
            passed.write({"state": "closed", "closed_at": fields.Datetime.now()})
            self.env["mfg.integration.incident"]._source_settled(passed)
        return opened

    def _key(self):
        self.ensure_one()
        return (
            self.scope,
            self.system_id.id or 0,
            self.subscriber_model or "" if self.scope == "subscriber" else "",
            self.subscriber_id or 0 if self.scope == "subscriber" else 0,
            self.company_id.id,
            self.metric,
        )

    @api.model
    def _values_for(self, key, hour, finding):
        scope, system_id, subscriber_model, subscriber_id, company_id, metric = key
        subject = self._subject_name(scope, system_id, subscriber_model, subscriber_id)
        if metric == "volume":
            direction = _("more") if finding["observed"] > finding["median"] else _("fewer")
            summary = _(
                "%(subject)s: %(observed)s messages in the hour of %(hour)s UTC, "
                "far %(direction)s than usual (%(median)s)",
                subject=subject,
                observed=int(finding["observed"]),
                hour=hour.strftime("%Y-%m-%d %H:00"),
                direction=direction,
                median=round(finding["median"], 1),
            )
            reason = _(
                "%(observed)s messages in the hour of %(hour)s UTC. Baseline: the same hour "
                "of the past %(days)s days, median %(median)s, MAD %(mad)s. Robust z-score "
                "%(score)s (threshold %(threshold)s).",
                observed=int(finding["observed"]),
                hour=hour.strftime("%Y-%m-%d %H:00"),
                days=finding["days"],
                median=round(finding["median"], 1),
                mad=round(finding["mad"], 1),
                score=round(finding["score"], 1),
                threshold=self._settings()["threshold"],
            )
        else:
            summary = _(
                "%(subject)s: %(rate)s%% of messages failed in the hour of %(hour)s UTC "
                "(usually %(median)s%%)",
                subject=subject,
                rate=round(100 * finding["observed"], 1),
                hour=hour.strftime("%Y-%m-%d %H:00"),
                median=round(100 * finding["median"], 1),
            )
            reason = _(
                "%(errors)s of %(messages)s messages failed (%(rate)s%%) in the hour of "
                "%(hour)s UTC. Baseline: the same hour of the past %(days)s days, median "
                "%(median)s%%, MAD %(mad)s points. Robust z-score %(score)s (threshold "
                "%(threshold)s).",
                errors=finding["errors"],
                messages=finding["messages"],
                rate=round(100 * finding["observed"], 1),
                hour=hour.strftime("%Y-%m-%d %H:00"),
                days=finding["days"],
                median=round(100 * finding["median"], 1),
                mad=round(100 * finding["mad"], 1),
                score=round(finding["score"], 1),
                threshold=self._settings()["threshold"],
            )
        return {
            "name": summary,
            "scope": scope,
            "system_id": system_id or False,
            "subscriber_model": subscriber_model or False,
            "subscriber_id": subscriber_id or False,
            "metric": metric,
            "hour": hour,
            "last_hour": hour,
            "observed": finding["observed"],
            "baseline_median": finding["median"],
            "baseline_mad": finding["mad"],
            "baseline_days": finding["days"],
            "score": finding["score"],
            "reason": reason,
            "company_id": company_id,
        }

    @api.model
    def _subject_name(self, scope, system_id, subscriber_model, subscriber_id):
        if scope == "subscriber" and subscriber_model in self.env:
            return self.env[subscriber_model].sudo().browse(
                subscriber_id
            ).exists().display_name or _("Subscriber %s", subscriber_id)
        system = self.env["mfg.integration.system"].sudo().browse(system_id).exists()
        if system:
            return system.code
        return self.env["mfg.integration.hourly.stat"]._unattributed_label(scope)

    def _subscriber(self):
        self.ensure_one()
        if self.scope != "subscriber" or self.subscriber_model not in self.env:
            return None
        return self.env[self.subscriber_model].sudo().browse(self.subscriber_id).exists() or None

    def _report(self):
        for anomaly in self:
            self.env["mfg.integration.incident"]._report(
                "anomaly",
                anomaly.name,
                key="|".join(str(part) for part in anomaly._key()),
                severity="medium",
                system=anomaly.system_id or None,
                record=anomaly._subscriber(),
                source=anomaly,
                detail=anomaly.reason,
            )
