"""Sinks of the outbox: the subscribers that events are delivered to.

A sink kind (webhook endpoints, a message broker...) is a model on this mixin
with a delivery model on `mfg.integration.outbox.delivery`. The mixin owns
everything that does not depend on the transport: which events a subscriber
wants, one delivery per subscriber, a drain job per subscriber on its own
channel that claims the ready deliveries in batches (FIFO per subject when
asked), outcome recording, back-off, dead letters, the circuit breaker, replay
and the watchdog. A sink kind implements `_send_batch()` and, when it needs
them, `_sink_transport()` and `_drain_blocked()`.
"""

import contextlib
import fnmatch
import threading
import time
import zlib
from datetime import timedelta

from psycopg2 import sql
from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from odoo import SUPERUSER_ID, _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval

from .outbox_delivery import WAITING_STATES

DEFAULT_SCHEDULE = "5,300,1800,7200,18000,36000,36000"
BATCH_SIZE = 100
DRAIN_SECONDS = 60  # a drain job yields its worker after this long
SUBSCRIBED_STATES = ("active", "paused")
# the fields that decide who gets a delivery: changing one clears the cache
SUBSCRIPTION_FIELDS = {"state", "event_types", "filter_domain", "company_id"}


def type_matches(type_name, patterns):
    """Does an event type match comma-separated patterns with wildcards (mrp.*)?"""
    return any(
        fnmatch.fnmatchcase(type_name, pattern.strip())
        for pattern in (patterns or "").split(",")
        if pattern.strip()
    )


class MfgIntegrationOutboxSink(models.AbstractModel):
    _name = "mfg.integration.outbox.sink"
    _description = "Outbox Sink"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name"

    # the delivery model of this sink kind (on mfg.integration.outbox.delivery)
    _delivery_model = None
    # each sink drains on a queue_job channel of its own: this name, then _<id>
    _drain_channel = None
    _circuit_activity_type = "mfg_integration_core.mail_activity_sink_down"

    name = fields.Char(required=True, tracking=True)
    system_id = fields.Many2one(
        "mfg.integration.system",
        tracking=True,
        help="The connected system whose own ids the events carry, where it has them.",
    )
    owner_id = fields.Many2one("res.users", default=lambda self: self.env.user, tracking=True)
    event_types = fields.Char(
        required=True,
        default="*",
        tracking=True,
        help="Event types to receive, comma-separated; wildcards allowed: mrp.production.*",
    )
    filter_domain = fields.Char(
        string="Record Filter",
        help="Odoo domain on the event's record, e.g. [('picking_type_code', '=', 'outgoing')].",
    )
    max_attempts = fields.Integer(default=8, required=True)
    retry_schedule = fields.Char(
        default=DEFAULT_SCHEDULE,
        required=True,
        help="Seconds to wait before each retry after the first attempt.",
    )
    ordering = fields.Selection(
        [("none", "Any order"), ("fifo", "FIFO per subject")],
        default="none",
        required=True,
        help="FIFO: a later event of a subject waits while an earlier one is pending or retrying.",
    )
    state = fields.Selection(
        [("active", "Active"), ("paused", "Paused"), ("disabled", "Disabled")],
        default="active",
        required=True,
        tracking=True,
    )
    failure_threshold = fields.Integer(
        default=5, help="Consecutive failures that open the circuit."
    )
    cooldown_seconds = fields.Integer(
        default=60, help="How long an open circuit waits before one probe is sent."
    )
    delivery_sla_seconds = fields.Integer(
        string="Delivery SLA (s)",
        default=300,
        tracking=True,
        help="How long an event may wait for this subscriber before operations "
        "are warned (alerts, congestion forecasts).",
    )
    consecutive_failures = fields.Integer(readonly=True)
    circuit_state = fields.Selection(
        [("closed", "Closed"), ("open", "Open"), ("half_open", "Half-open")],
        default="closed",
        readonly=True,
        tracking=True,
    )
    circuit_opened_at = fields.Datetime(readonly=True)
    backlog_count = fields.Integer(compute="_compute_stats", string="Backlog")
    dead_count = fields.Integer(compute="_compute_stats", string="Dead Letters")
    success_rate = fields.Float(compute="_compute_stats", string="Success Rate (%)")
    avg_latency_ms = fields.Float(compute="_compute_stats", string="Avg Latency (ms)")
    last_error = fields.Char(compute="_compute_stats")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    @api.model
    def _sink_kind(self):
        """The kind of sink as metrics label it: the word after mfg.integration.
        in the model's name (webhook, broker). It can be inherited."""
        parts = self._name.split(".")
        return parts[2] if self._name.startswith("mfg.integration.") else self._name

    def _deliveries(self):
        """The delivery model, and the name of its field that points to the sink."""
        Delivery = self.env[self._delivery_model]
        return Delivery, Delivery._sink_field

    # each sink kind declares delivery_ids, its One2many to its deliveries
    @api.depends(lambda self: ["delivery_ids.state"] if "delivery_ids" in self._fields else [])
    def _compute_stats(self):
        Delivery, sink_field = self._deliveries()
        for sink in self:
            mine = [(sink_field, "=", sink.id)]
            groups = dict(Delivery._read_group(mine, ["state"], ["__count"]))
            finished = groups.get("delivered", 0) + groups.get("dead", 0)
            sink.backlog_count = groups.get("pending", 0) + groups.get("retrying", 0)
            sink.dead_count = groups.get("dead", 0)
            sink.success_rate = 100.0 * groups.get("delivered", 0) / finished if finished else 0
            delivered = Delivery.search(
                mine + [("state", "=", "delivered")], order="id desc", limit=100
            )
            latencies = delivered.mapped("latency_ms")
            sink.avg_latency_ms = sum(latencies) / len(latencies) if latencies else 0
            failed = Delivery.search(
                mine + [("last_error", "!=", False)], order="write_date desc", limit=1
            )
            sink.last_error = failed.last_error

    @api.constrains("retry_schedule", "filter_domain", "max_attempts")
    def _check_delivery_settings(self):
        for sink in self:
            try:
                sink._schedule()
            except ValueError as error:
                raise ValidationError(
                    _("The retry schedule must be seconds separated by commas.")
                ) from error
            if sink.filter_domain:
                try:
                    safe_eval(sink.filter_domain)
                except Exception as error:
                    raise ValidationError(
                        _("The record filter is not a valid domain: %s", error)
                    ) from error
            if sink.max_attempts < 1:
                raise ValidationError(_("A subscriber needs at least one attempt."))

    def _schedule(self):
        return [int(part) for part in self.retry_schedule.split(",") if part.strip()]

    # ------------------------------------------------------------------
    # Subscriptions: who gets a delivery of an event
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # _subscriptions
        return super().create(vals_list)

    def write(self, vals):
        if SUBSCRIPTION_FIELDS & set(vals):
            self.env.registry.clear_cache()  # _subscriptions
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()  # _subscriptions
        return super().unlink()

    @api.model
    @tools.ormcache()
    def _subscriptions(self):
        """(id, event type patterns, company id, record filter) of every subscriber."""
        sinks = self.sudo().search([("state", "in", SUBSCRIBED_STATES)], order="id")
        return tuple(
            (sink.id, sink.event_types, sink.company_id.id, sink.filter_domain or None)
            for sink in sinks
        )

    @api.model
    def _subscribers_of(self, event):
        """The subscribers that want `event`."""
        wanted = []
        for sink_id, patterns, company_id, filter_domain in self._subscriptions():
            if not type_matches(event.type, patterns):
                continue
            if event.company_id and event.company_id.id != company_id:
                continue
            if filter_domain and event.res_model and event.res_id:
                record = self.env[event.res_model].sudo().browse(event.res_id)
                if not record.filtered_domain(safe_eval(filter_domain)):
                    continue
            wanted.append(sink_id)
        return self.sudo().browse(wanted)

    @api.model
    def _fan_out(self, events):
        """One delivery per event and subscriber of this kind, in the event's transaction."""
        Delivery, sink_field = self._deliveries()
        values = [
            {"event_id": event.id, sink_field: sink.id}
            for event in events
            for sink in self._subscribers_of(event)
        ]
        if values:
            deliveries = Delivery.sudo().create(values)
            deliveries._sinks()._schedule_drain()
        return values

    def _replay_events(self, events):
        """Send `events` to this subscriber again (a window of the past, say), with
        their own ids: existing deliveries are replayed, missing ones created."""
        self.ensure_one()
        Delivery, sink_field = self._deliveries()
        existing = Delivery.sudo().search(
            [(sink_field, "=", self.id), ("event_id", "in", events.ids)]
        )
        existing._replay()
        missing = events - existing.event_id
        Delivery.sudo().create([{"event_id": e.id, sink_field: self.id} for e in missing])
        self._schedule_drain()

    # ------------------------------------------------------------------
    # UI actions
    # ------------------------------------------------------------------
    def action_pause(self):
        self.write({"state": "paused"})

    def action_activate(self):
        self.write({"state": "active", "circuit_state": "closed", "consecutive_failures": 0})
        self._schedule_drain()

    def action_replay_dead(self):
        self.ensure_one()
        Delivery, sink_field = self._deliveries()
        Delivery.search([(sink_field, "=", self.id), ("state", "=", "dead")])._replay()
        return True

    def action_view_deliveries(self):
        self.ensure_one()
        Delivery, sink_field = self._deliveries()
        return {
            "type": "ir.actions.act_window",
            "name": _("Deliveries"),
            "res_model": Delivery._name,
            "view_mode": "list,form",
            "domain": [(sink_field, "=", self.id)],
        }

    # ------------------------------------------------------------------
    # What a sink kind implements
    # ------------------------------------------------------------------
    def _sink_transport(self):
        """A context manager around one drain: its value is passed to `_send_batch`
        (an HTTP session, a broker connection...)."""
        return contextlib.nullcontext()

    def _drain_blocked(self):
        """Why this sink cannot send now (deliveries then wait), or False."""
        return False

    def _address(self):
        """Where this sink sends, as people reading an exception need it."""
        return self.display_name

    def _send_batch(self, deliveries, transport):
        """Send `deliveries` (in event order); return one `SendOutcome` per delivery,
        in the same order.

        A generator that sends one delivery per outcome lets the drain stop in the
        middle of a batch (the circuit opened, the sink was disabled): deliveries
        it did not reach stay as they were. A transport that sends the whole batch
        at once (a broker collecting confirms) returns a list.
        """
        raise NotImplementedError(f"{self._name} does not implement _send_batch()")

    # ------------------------------------------------------------------
    # The drain job
    # ------------------------------------------------------------------
    def _schedule_drain(self, eta=None):
        """One drain job per sink at a time, on the sink's own channel.

        The job is enqueued in this transaction (a rollback takes it back) and,
        once this transaction committed, enqueued again if none is pending: the
        pending job this transaction saw may have started meanwhile and claimed
        its batch before this transaction's deliveries were there to claim.
        """
        self._enqueue_drain(eta)
        if eta is None:
            self.filtered(lambda s: s.state == "active")._wake_after_commit()

    def _enqueue_drain(self, eta=None):
        prefix = self._drain_channel or f"root.mfg_integration_outbox.{self._table}"
        for sink in self.filtered(lambda s: s.state == "active"):
            sink.with_delay(
                # a channel per sink: the runner's capacity is shared fairly
                channel=f"{prefix}_{sink.id}",
                eta=eta,
                # a drain due later (the next retry) never stands for one due now
                identity_key=f"{sink._table}_drain_{sink.id}{'_later' if eta else ''}",
                description=_("Deliver events to %s", sink.name),
            )._drain()

    def _wake_after_commit(self):
        if not self:
            return
        postcommit = self.env.cr.postcommit
        wake = postcommit.data.get("mfg_outbox_wake")
        if wake is None:
            wake = postcommit.data["mfg_outbox_wake"] = {}
            registry = self.env.registry
            postcommit.add(lambda: _enqueue_drains(registry, wake))
        wake.setdefault(self._name, set()).update(self.ids)

    def _ready_deliveries(self, limit):
        """Claim the ready deliveries: locked until this transaction ends, skipped
        by any other drain; with FIFO, none behind an earlier one of its subject."""
        Delivery, sink_field = self._deliveries()
        Delivery.flush_model()
        names = {"table": sql.Identifier(Delivery._table), "sink": sql.Identifier(sink_field)}
        fifo = sql.SQL(
            """AND NOT EXISTS (
                   SELECT 1 FROM {table} earlier
                    WHERE earlier.{sink} = delivery.{sink}
                      AND earlier.subject = delivery.subject
                      AND earlier.state IN ('pending', 'retrying')
                      AND earlier.event_id < delivery.event_id)"""
            if self.ordering == "fifo"
            else ""
        ).format(**names)
        query = sql.SQL(
            """
            SELECT delivery.id FROM {table} delivery
             WHERE delivery.{sink} = %(sink)s
               AND delivery.state IN ('pending', 'retrying')
               AND delivery.next_attempt_at <= %(now)s
               {fifo}
          ORDER BY delivery.event_id
             LIMIT %(limit)s
               FOR UPDATE SKIP LOCKED
            """
        ).format(fifo=fifo, **names)
        self.env.cr.execute(query, {"sink": self.id, "now": fields.Datetime.now(), "limit": limit})
        return Delivery.browse([row[0] for row in self.env.cr.fetchall()])

    def _commit_progress(self):
        # a crash then loses at most one batch of state, never a delivery
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _metric_labels(self):
        """The labels that name this subscriber in the metrics, its company's
        among them (a company's metrics key reads its own series only)."""
        return {"subscriber": self.name, "company": str(self.company_id.id)}

    def _count_attempt(self, delivery, values):
        """Count one attempt of ``delivery`` (``values``: what it recorded)."""
        telemetry = self.env["mfg.integration.telemetry"]
        outcome = {"delivered": "delivered", "dead": "dead"}.get(values.get("state"), "failed")
        subscriber_labels = self._metric_labels()
        telemetry._count(
            "mfg_deliveries_total", sink=self._sink_kind(), outcome=outcome, **subscriber_labels
        )
        if values["attempts"] > 1:
            telemetry._count("mfg_delivery_retries_total", **subscriber_labels)
        if outcome == "dead":
            telemetry._count("mfg_dead_letters_total", **subscriber_labels)
        elif outcome == "delivered":
            # the delivery was created in the event's own transaction
            waited = (values["delivered_at"] - delivery.create_date).total_seconds()
            telemetry._observe(
                "mfg_delivery_latency_seconds", max(0.0, waited), **subscriber_labels
            )

    def _open_circuit(self):
        """The receiver stopped answering: deliveries wait, the owner is told.
        It can be inherited."""
        self.env["mfg.integration.telemetry"]._count(
            "mfg_circuit_openings_total", **self._metric_labels()
        )
        self.write({"circuit_state": "open", "circuit_opened_at": fields.Datetime.now()})
        self.activity_schedule(
            self._circuit_activity_type,
            user_id=(self.owner_id or self.env.ref("base.user_admin")).id,
            summary=_("%s stopped answering", self.name),
            note=_(
                "%(n)s deliveries in a row failed; last error: %(error)s. Deliveries wait "
                "and a probe is sent every %(cooldown)s s.",
                n=self.consecutive_failures,
                error=self.last_error or "",
                cooldown=self.cooldown_seconds,
            ),
        )

    def _drain_lock_key(self):
        """The PostgreSQL advisory lock that says "a drain of this sink runs"."""
        return zlib.crc32(self._name.encode()) & 0x7FFFFFFF, self.id

    def _drain_lock(self):
        """Take the session-level lock of this sink's drain; False if it is held.

        The lock outlives the drain's commits and dies with its connection, so a
        drain whose worker was killed leaves it free: that is how the watchdog tells
        a dead drain from a running one.
        """
        self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", self._drain_lock_key())
        return self.env.cr.fetchone()[0]

    def _drain_unlock(self):
        self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", self._drain_lock_key())

    def _drain(self):
        """Send what is ready; return a summary for the job's result."""
        self.ensure_one()
        if not self._drain_lock():
            return "another drain of this subscriber is running"
        try:
            result, exhausted = self._drain_locked()
        finally:
            if self.env.cr.connection.get_transaction_status() == TRANSACTION_STATUS_INERROR:
                # a statement failed (a conflict at a commit of progress): end the
                # transaction to free the lock, and the job runner sees that error
                # (it retries a conflict) rather than this statement's refusal
                self.env.cr.rollback()
            self._drain_unlock()
        if exhausted:
            # deliveries committed after this drain's last look, whose own drain
            # job found the lock held: take them now
            self._commit_progress()
            if self.sudo()._ready_deliveries(1):
                self._enqueue_drain()
        return result

    def _drain_locked(self):
        """Send what is ready: (summary, whether it found nothing more to send)."""
        sink = self.sudo()
        if sink.state != "active":
            return f"{sink.state}: nothing sent", False
        blocked = sink._drain_blocked()
        if blocked:
            return blocked, False
        exhausted = False
        started = time.monotonic()
        sent = delivered = 0
        Delivery = self.env[self._delivery_model].sudo()
        Log = self.env["mfg.integration.message.log"].sudo()
        max_bytes = self.env["mfg.integration.settings"]._get("log_payload_max_bytes", 65536)
        with sink._sink_transport() as transport:
            while time.monotonic() - started < DRAIN_SECONDS and sink.state == "active":
                if sink.circuit_state == "open":
                    reopen = sink.circuit_opened_at + timedelta(seconds=sink.cooldown_seconds)
                    if reopen > fields.Datetime.now():
                        break
                    sink.circuit_state = "half_open"
                probing = sink.circuit_state == "half_open"
                batch = sink._ready_deliveries(1 if probing else BATCH_SIZE)
                if not batch:
                    exhausted = not probing
                    break
                succeeded, logs = [], []
                outcomes = sink._send_batch(batch, transport)
                for delivery, outcome in zip(batch, outcomes, strict=False):
                    ok, values, log = delivery._apply_outcome(outcome, sink)
                    sink._count_attempt(delivery, values)
                    logs.append(log)
                    sent += 1
                    if ok:
                        succeeded.append((delivery, values))
                        delivered += 1
                        if sink.consecutive_failures or sink.circuit_state != "closed":
                            sink.write({"consecutive_failures": 0, "circuit_state": "closed"})
                        continue
                    sink.consecutive_failures += 1
                    if probing or sink.consecutive_failures >= sink.failure_threshold:
                        sink._open_circuit()
                        break
                    if sink.state != "active":
                        break
                if hasattr(outcomes, "close"):
                    outcomes.close()  # a lazy transport sends nothing more of this batch
                Delivery._record_delivered(succeeded)
                Log.create([Log._prepare_log_values(log, max_bytes=max_bytes) for log in logs])
                sink._commit_progress()
                if len(logs) < len(batch):
                    break  # stopped mid-batch: the next drain takes the rest, when due
        sink._schedule_next_drain()
        return f"{sent} sent, {delivered} delivered", exhausted

    def _schedule_next_drain(self):
        """Come back when the next delivery is due (or the circuit may close)."""
        Delivery, sink_field = self._deliveries()
        waiting = Delivery.search(
            [(sink_field, "=", self.id), ("state", "in", WAITING_STATES)],
            order="next_attempt_at",
            limit=1,
        )
        if not waiting or self.state != "active":
            return
        eta = waiting.next_attempt_at
        if self.circuit_state == "open":
            eta = max(eta, self.circuit_opened_at + timedelta(seconds=self.cooldown_seconds))
        self._schedule_drain(eta=eta if eta > fields.Datetime.now() else None)

    # ------------------------------------------------------------------
    # The watchdog
    # ------------------------------------------------------------------
    @api.model
    def _sink_models(self):
        """Every installed sink kind: the concrete models on this mixin."""
        names = self.env.registry.descendants(["mfg.integration.outbox.sink"], "_inherit")
        return [
            self.env[name]
            for name in names
            if not self.env[name]._abstract and not self.env[name]._transient
        ]

    @api.model
    def _cron_watchdog_all(self, stale_seconds=30):
        """The watchdog of every sink kind (the cron calls this)."""
        return {
            Sink._name: Sink._cron_watchdog(stale_seconds=stale_seconds)
            for Sink in self._sink_models()
        }

    @api.model
    def _cron_watchdog(self, stale_seconds=30):
        """Requeue drain jobs whose worker died, and wake sinks with due deliveries.

        queue_job 18.0.1.6 leaves a job 'started' (or 'enqueued') for ever when its
        worker dies. A drain job is dead when nobody holds its sink's drain lock;
        requeueing it is safe, as a drain runs at most once at a time per sink.
        """
        limit = fields.Datetime.now() - timedelta(seconds=stale_seconds)
        candidates = (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("model_name", "=", self._name),
                    ("method_name", "=", "_drain"),
                    "|",
                    "&",
                    ("state", "=", "started"),
                    ("date_started", "<", limit),
                    "&",
                    ("state", "=", "enqueued"),
                    ("date_enqueued", "<", limit),
                ]
            )
        )
        stuck = candidates.browse()
        for job in candidates:
            sink = self.browse(job.records.ids[:1])
            if sink and sink._drain_lock():
                sink._drain_unlock()
                stuck |= job
        stuck.requeue()
        Delivery, sink_field = self._deliveries()
        due = Delivery.sudo()._read_group(
            [
                ("state", "in", WAITING_STATES),
                ("next_attempt_at", "<=", fields.Datetime.now()),
            ],
            [sink_field],
        )
        sinks = self.browse([sink.id for (sink,) in due])
        sinks.sudo()._schedule_drain()
        return len(stuck), len(sinks)


def _enqueue_drains(registry, wake):
    """After a commit: a drain job pending for each sink that got deliveries
    ({model: sink ids}); queue_job's identity key adds none where one is."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        for model, ids in wake.items():
            env[model].browse(sorted(ids)).exists()._enqueue_drain()
