import base64
import fnmatch
import json
import secrets
import threading
import time
from datetime import timedelta
from urllib.parse import urlparse

import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.safe_eval import safe_eval

from .. import crypto
from .delivery import BATCH_SIZE, DRAIN_SECONDS

# namespace of the PostgreSQL advisory locks that say "a drain of endpoint <id> runs"
DRAIN_LOCK_CLASS = 0x6D666777

DEFAULT_SCHEDULE = "5,300,1800,7200,18000,36000,36000"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def type_matches(type_name, patterns):
    """Does an event type match comma-separated patterns with wildcards (mrp.*)?"""
    return any(
        fnmatch.fnmatchcase(type_name, pattern.strip())
        for pattern in (patterns or "").split(",")
        if pattern.strip()
    )


class MfgIntegrationWebhookEndpoint(models.Model):
    """A receiver of the suite's events."""

    _name = "mfg.integration.webhook.endpoint"
    _description = "Webhook Endpoint"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    url = fields.Char(string="URL", required=True, tracking=True)
    allow_insecure = fields.Boolean(
        string="Allow plain HTTP",
        groups="base.group_system",
        help="Only for hosts on this machine (localhost); everything else needs https.",
    )
    system_id = fields.Many2one("mfg.integration.system", tracking=True)
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
    custom_headers = fields.Text(help='JSON object of extra headers, e.g. {"X-Plant": "P1"}.')
    timeout = fields.Float(string="Timeout (s)", default=10.0)
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
    secret_ids = fields.One2many(
        "mfg.integration.webhook.secret", "endpoint_id", string="Signing Secrets"
    )
    failure_threshold = fields.Integer(
        default=5, help="Consecutive failures that open the circuit."
    )
    cooldown_seconds = fields.Integer(
        default=60, help="How long an open circuit waits before one probe is sent."
    )
    consecutive_failures = fields.Integer(readonly=True)
    circuit_state = fields.Selection(
        [("closed", "Closed"), ("open", "Open"), ("half_open", "Half-open")],
        default="closed",
        readonly=True,
        tracking=True,
    )
    circuit_opened_at = fields.Datetime(readonly=True)
    delivery_ids = fields.One2many("mfg.integration.webhook.delivery", "endpoint_id")
    backlog_count = fields.Integer(compute="_compute_stats", string="Backlog")
    dead_count = fields.Integer(compute="_compute_stats", string="Dead Letters")
    success_rate = fields.Float(compute="_compute_stats", string="Success Rate (%)")
    avg_latency_ms = fields.Float(compute="_compute_stats", string="Avg Latency (ms)")
    last_error = fields.Char(compute="_compute_stats")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    @api.depends("delivery_ids.state")
    def _compute_stats(self):
        Delivery = self.env["mfg.integration.webhook.delivery"]
        for endpoint in self:
            groups = dict(
                Delivery._read_group([("endpoint_id", "=", endpoint.id)], ["state"], ["__count"])
            )
            finished = groups.get("delivered", 0) + groups.get("dead", 0)
            endpoint.backlog_count = groups.get("pending", 0) + groups.get("retrying", 0)
            endpoint.dead_count = groups.get("dead", 0)
            endpoint.success_rate = 100.0 * groups.get("delivered", 0) / finished if finished else 0
            delivered = Delivery.search(
                [("endpoint_id", "=", endpoint.id), ("state", "=", "delivered")],
                order="id desc",
                limit=100,
            )
            latencies = delivered.mapped("latency_ms")
            endpoint.avg_latency_ms = sum(latencies) / len(latencies) if latencies else 0
            failed = Delivery.search(
                [("endpoint_id", "=", endpoint.id), ("last_error", "!=", False)],
                order="write_date desc",
                limit=1,
            )
            endpoint.last_error = failed.last_error

    @api.constrains("url", "allow_insecure")
    def _check_url(self):
        for endpoint in self:
            parsed = urlparse(endpoint.url or "")
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValidationError(_("'%s' is not an http(s) URL.", endpoint.url))
            if parsed.scheme == "http" and not (
                endpoint.sudo().allow_insecure and parsed.hostname in LOCAL_HOSTS
            ):
                raise ValidationError(
                    _(
                        "Webhooks are sent over https only. Plain http is allowed for hosts on "
                        "this machine (localhost) once an administrator ticks 'Allow plain HTTP'."
                    )
                )

    @api.constrains("retry_schedule", "custom_headers", "filter_domain", "max_attempts")
    def _check_settings(self):
        for endpoint in self:
            try:
                endpoint._schedule()
            except ValueError as error:
                raise ValidationError(
                    _("The retry schedule must be seconds separated by commas.")
                ) from error
            if endpoint.custom_headers:
                try:
                    headers = json.loads(endpoint.custom_headers)
                    assert isinstance(headers, dict)
                except (ValueError, AssertionError) as error:
                    raise ValidationError(_("Custom headers must be a JSON object.")) from error
            if endpoint.filter_domain:
                try:
                    safe_eval(endpoint.filter_domain)
                except Exception as error:
                    raise ValidationError(
                        _("The record filter is not a valid domain: %s", error)
                    ) from error
            if endpoint.max_attempts < 1:
                raise ValidationError(_("An endpoint needs at least one attempt."))

    def _schedule(self):
        return [int(part) for part in self.retry_schedule.split(",") if part.strip()]

    def _matches(self, event):
        """Does this endpoint want this event?"""
        self.ensure_one()
        if not type_matches(event.type, self.event_types):
            return False
        if event.company_id and event.company_id != self.company_id:
            return False
        if self.filter_domain and event.res_model and event.res_id:
            record = self.env[event.res_model].sudo().browse(event.res_id)
            return bool(record.filtered_domain(safe_eval(self.filter_domain)))
        return True

    # ------------------------------------------------------------------
    # Secrets
    # ------------------------------------------------------------------
    def action_generate_secret(self):
        """New signing secret; the previous ones stay valid for a day (rotation)."""
        self.ensure_one()
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        # secrets are written by this action only, never by hand
        old = self.sudo().secret_ids.filtered(lambda s: not s.expires_at)
        old.write({"expires_at": fields.Datetime.now() + timedelta(days=1)})
        self.env["mfg.integration.webhook.secret"].sudo().create(
            {
                "endpoint_id": self.id,
                "encrypted_secret": crypto.encrypt(secret),
                "prefix": secret[:12],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Signing secret"),
            "res_model": "mfg.integration.webhook.secret.reveal",
            "view_mode": "form",
            "target": "new",
            "context": {"default_endpoint_id": self.id, "mfg_webhook_secret": secret},
        }

    def _signing_secrets(self):
        now = fields.Datetime.now()
        valid = self.sudo().secret_ids.filtered(lambda s: not s.expires_at or s.expires_at > now)
        return [
            crypto.decrypt(secret.encrypted_secret) for secret in valid.sorted("id", reverse=True)
        ]

    # ------------------------------------------------------------------
    # UI actions
    # ------------------------------------------------------------------
    def action_pause(self):
        self.write({"state": "paused"})

    def action_activate(self):
        self.write({"state": "active", "circuit_state": "closed", "consecutive_failures": 0})
        self._schedule_drain()

    def action_send_test_event(self):
        self.ensure_one()
        if not self.secret_ids:
            raise UserError(_("Generate a signing secret first."))
        event = self.env["mfg.integration.event"]._emit(
            "mfg.integration.test.v1",
            self,
            {"endpoint": self.name, "message": "Hello from Odoo"},
            subject=f"test/{self.id}",
        )
        # the test event goes to this endpoint only, whatever its event types
        Delivery = self.env["mfg.integration.webhook.delivery"].sudo()
        deliveries = Delivery.search([("event_id", "=", event.id)])
        (deliveries.filtered(lambda d: d.endpoint_id != self)).unlink()
        if not deliveries.filtered(lambda d: d.endpoint_id == self):
            Delivery.create({"event_id": event.id, "endpoint_id": self.id})
        self._schedule_drain()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "info", "message": _("Test event %s queued.", event.event_uid)},
        }

    def action_replay_dead(self):
        self.ensure_one()
        dead = self.delivery_ids.filtered(lambda d: d.state == "dead")
        dead._replay()
        return True

    def action_view_deliveries(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Deliveries"),
            "res_model": "mfg.integration.webhook.delivery",
            "view_mode": "list,form",
            "domain": [("endpoint_id", "=", self.id)],
        }

    def _schedule_drain(self, eta=None):
        """One drain job per endpoint at a time."""
        for endpoint in self.filtered(lambda e: e.state == "active"):
            endpoint.with_delay(
                # a channel per endpoint: the runner's capacity is shared fairly
                channel=f"root.mfg_integration_webhook.endpoint_{endpoint.id}",
                eta=eta,
                identity_key=f"mfg_webhook_drain_{endpoint.id}",
                description=f"Deliver webhooks to {endpoint.name}",
            )._drain()


class MfgIntegrationWebhookSecret(models.Model):
    _name = "mfg.integration.webhook.secret"
    _description = "Webhook Signing Secret"
    _order = "id desc"

    endpoint_id = fields.Many2one(
        "mfg.integration.webhook.endpoint", required=True, ondelete="cascade"
    )
    encrypted_secret = fields.Char(required=True, groups="base.group_system")
    prefix = fields.Char(readonly=True, help="The first characters, to tell secrets apart.")
    expires_at = fields.Datetime(
        help="During a rotation the previous secret keeps signing until then."
    )
    company_id = fields.Many2one(related="endpoint_id.company_id", store=True)


class MfgIntegrationWebhookSecretReveal(models.TransientModel):
    _name = "mfg.integration.webhook.secret.reveal"
    _description = "New Webhook Signing Secret"

    endpoint_id = fields.Many2one("mfg.integration.webhook.endpoint", readonly=True)
    secret = fields.Char(
        readonly=True, default=lambda self: self.env.context.get("mfg_webhook_secret", False)
    )

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([{**vals, "secret": False} for vals in vals_list])


class MfgIntegrationWebhookEndpointDrain(models.Model):
    """The drain job: the endpoint's ready deliveries, in batches."""

    _inherit = "mfg.integration.webhook.endpoint"

    def _ready_deliveries(self, limit):
        fifo = self.ordering == "fifo"
        self.env["mfg.integration.webhook.delivery"].flush_model()
        self.env.cr.execute(
            f"""
            SELECT delivery.id FROM mfg_integration_webhook_delivery delivery
             WHERE delivery.endpoint_id = %(endpoint)s
               AND delivery.state IN ('pending', 'retrying')
               AND delivery.next_attempt_at <= %(now)s
               {'''AND NOT EXISTS (
                   SELECT 1 FROM mfg_integration_webhook_delivery earlier
                    WHERE earlier.endpoint_id = delivery.endpoint_id
                      AND earlier.subject = delivery.subject
                      AND earlier.state IN ('pending', 'retrying')
                      AND earlier.event_id < delivery.event_id)''' if fifo else ''}
          ORDER BY delivery.event_id
             LIMIT %(limit)s
               FOR UPDATE SKIP LOCKED
            """,
            {"endpoint": self.id, "now": fields.Datetime.now(), "limit": limit},
        )
        return self.env["mfg.integration.webhook.delivery"].browse(
            [row[0] for row in self.env.cr.fetchall()]
        )

    def _commit_progress(self):
        # a crash then loses at most one batch of state, never a delivery
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _open_circuit(self):
        self.write({"circuit_state": "open", "circuit_opened_at": fields.Datetime.now()})
        self.activity_schedule(
            "mfg_integration_webhook.mail_activity_circuit_open",
            user_id=(self.owner_id or self.env.ref("base.user_admin")).id,
            summary=_("Webhook endpoint %s stopped answering", self.name),
            note=_(
                "%(n)s deliveries in a row failed; last error: %(error)s. Deliveries wait "
                "and a probe is sent every %(cooldown)s s.",
                n=self.consecutive_failures,
                error=self.last_error or "",
                cooldown=self.cooldown_seconds,
            ),
        )

    def _drain_lock(self):
        """Take the session-level lock of this endpoint's drain; False if it is held.

        The lock outlives the drain's commits and dies with its connection, so a
        drain whose worker was killed leaves it free: that is how the watchdog tells
        a dead drain from a running one.
        """
        self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", (DRAIN_LOCK_CLASS, self.id))
        return self.env.cr.fetchone()[0]

    def _drain_unlock(self):
        self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", (DRAIN_LOCK_CLASS, self.id))

    def _drain(self):
        """Send what is ready; return a summary for the job's result."""
        self.ensure_one()
        if not self._drain_lock():
            return "another drain of this endpoint is running"
        try:
            return self._drain_locked()
        finally:
            self._drain_unlock()

    def _drain_locked(self):
        endpoint = self.sudo()
        if endpoint.state != "active":
            return f"endpoint {endpoint.state}: nothing sent"
        secrets_ = endpoint._signing_secrets()
        if not secrets_:
            return "no signing secret: deliveries wait"
        started = time.monotonic()
        sent = delivered = 0
        session = requests.Session()
        Delivery = self.env["mfg.integration.webhook.delivery"].sudo()
        try:
            while time.monotonic() - started < DRAIN_SECONDS and endpoint.state == "active":
                now = fields.Datetime.now()
                if endpoint.circuit_state == "open":
                    reopen = endpoint.circuit_opened_at + timedelta(
                        seconds=endpoint.cooldown_seconds
                    )
                    if reopen > now:
                        break
                    endpoint.circuit_state = "half_open"
                probing = endpoint.circuit_state == "half_open"
                batch = endpoint._ready_deliveries(1 if probing else BATCH_SIZE)
                if not batch:
                    break
                succeeded, logs = [], []
                for delivery in batch:
                    outcome = delivery._request(endpoint, session, secrets_)
                    ok, values, log = delivery._after_attempt(endpoint, *outcome)
                    logs.append(log)
                    sent += 1
                    if ok:
                        succeeded.append((delivery, values))
                        delivered += 1
                        if endpoint.consecutive_failures or endpoint.circuit_state != "closed":
                            endpoint.write({"consecutive_failures": 0, "circuit_state": "closed"})
                        continue
                    endpoint.consecutive_failures += 1
                    if probing or endpoint.consecutive_failures >= endpoint.failure_threshold:
                        endpoint._open_circuit()
                        break
                    if endpoint.state != "active":
                        break
                Delivery._record_delivered(succeeded)
                Log = self.env["mfg.integration.message.log"].sudo()
                max_bytes = self.env["mfg.integration.settings"]._get(
                    "log_payload_max_bytes", 65536
                )
                Log.create([Log._prepare_log_values(log, max_bytes=max_bytes) for log in logs])
                endpoint._commit_progress()
        finally:
            session.close()
        endpoint._schedule_next_drain()
        return f"{sent} sent, {delivered} delivered"

    def _schedule_next_drain(self):
        """Come back when the next delivery is due (or the circuit may close)."""
        Delivery = self.env["mfg.integration.webhook.delivery"]
        waiting = Delivery.search(
            [("endpoint_id", "=", self.id), ("state", "in", ("pending", "retrying"))],
            order="next_attempt_at",
            limit=1,
        )
        if not waiting or self.state != "active":
            return
        eta = waiting.next_attempt_at
        if self.circuit_state == "open":
            eta = max(eta, self.circuit_opened_at + timedelta(seconds=self.cooldown_seconds))
        self._schedule_drain(eta=eta if eta > fields.Datetime.now() else None)

    @api.model
    def _cron_watchdog(self, stale_seconds=30):
        """Requeue drain jobs whose worker died, and wake endpoints with due deliveries.

        queue_job 18.0.1.6 leaves a job 'started' (or 'enqueued') for ever when its
        worker dies. A drain job is dead when nobody holds its endpoint's drain lock;
        requeueing it is safe, as a drain runs at most once at a time per endpoint.
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
            endpoint = self.browse(job.records.ids[:1])
            if endpoint and endpoint._drain_lock():
                endpoint._drain_unlock()
                stuck |= job
        stuck.requeue()
        Delivery = self.env["mfg.integration.webhook.delivery"]
        due = Delivery.sudo()._read_group(
            [
                ("state", "in", ("pending", "retrying")),
                ("next_attempt_at", "<=", fields.Datetime.now()),
            ],
            ["endpoint_id"],
        )
        endpoints = self.browse([endpoint.id for (endpoint,) in due])
        endpoints.sudo()._schedule_drain()
        return len(stuck), len(endpoints)
