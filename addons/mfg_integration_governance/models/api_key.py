import hashlib
import secrets
from datetime import timedelta

from odoo import _, api, fields, models

KEY_PREFIX = "mfgk"
KEY_STATES = [
    ("active", "Active"),
    ("grace", "Rotated (grace period)"),
    ("expired", "Expired"),
    ("revoked", "Revoked"),
]


def hash_key(key):
    """Keys carry 256 random bits: one SHA-256 makes them unguessable from the hash."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_state(revoked_at, expires_at, grace_until, now):
    """active, grace (rotated, still valid), expired or revoked."""
    if revoked_at:
        return "revoked"
    if expires_at and expires_at <= now:
        return "expired"
    if grace_until:
        return "grace" if grace_until > now else "expired"
    return "active"


def split_key(key):
    """Return the lookup prefix of a well-formed key, else None."""
    parts = key.split("_", 2) if isinstance(key, str) else []
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8 or len(parts[2]) < 40:
        return None
    return parts[1]


class MfgIntegrationApiKey(models.Model):
    """An API key: stored as a hash and a short lookup prefix, never in clear."""

    _name = "mfg.integration.api.key"
    _description = "API Key"
    _inherit = ["mfg.integration.audited", "mfg.integration.auth.source"]
    _order = "create_date desc, id desc"
    _rec_name = "display_prefix"

    client_id = fields.Many2one(
        "mfg.integration.client", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="client_id.company_id", store=True, index=True)
    prefix = fields.Char(required=True, readonly=True, index="btree", copy=False)
    key_hash = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        groups="mfg_integration_core.group_integration_manager",
    )
    display_prefix = fields.Char(compute="_compute_display_prefix", string="Key")
    state = fields.Selection(KEY_STATES, compute="_compute_state", string="Status")
    expires_at = fields.Datetime(string="Expires", readonly=True)
    revoked_at = fields.Datetime(readonly=True)
    revoked_reason = fields.Char(readonly=True)
    grace_until = fields.Datetime(readonly=True, help="Rotated key: it stops working at this time.")
    replaced_by_id = fields.Many2one("mfg.integration.api.key", readonly=True)
    last_used_at = fields.Datetime(readonly=True)
    last_used_ip = fields.Char(string="Last IP", readonly=True)
    usage_count = fields.Integer(string="Requests", readonly=True, default=0)
    expiry_notified = fields.Boolean(readonly=True, copy=False)

    _sql_constraints = [
        ("prefix_uniq", "unique(prefix)", "Key prefixes are unique."),
    ]

    def _audit_client(self):
        return self.client_id

    def _audit_fields(self):
        return [
            name
            for name in super()._audit_fields()
            if name not in ("key_hash", "last_used_at", "last_used_ip", "usage_count")
        ]

    @api.depends("prefix")
    def _compute_display_prefix(self):
        for key in self:
            key.display_prefix = f"{KEY_PREFIX}_{key.prefix}_…"

    @api.depends("revoked_at", "expires_at", "grace_until")
    def _compute_state(self):
        now = fields.Datetime.now()
        for key in self:
            key.state = key._state_at(now)

    def _state_at(self, now):
        self.ensure_one()
        return key_state(self.revoked_at, self.expires_at, self.grace_until, now)

    # ------------------------------------------------------------------
    # Issue, rotate, revoke
    # ------------------------------------------------------------------
    @api.model
    def _issue(self, client, replaces=None):
        """Create a key for client; return (key record, the key in clear, once)."""
        prefix = secrets.token_hex(4)
        secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        validity = client.key_validity_days
        key = self.sudo().create(
            {
                "client_id": client.id,
                "prefix": prefix,
                "key_hash": hash_key(secret),
                "expires_at": fields.Datetime.now() + timedelta(days=validity)
                if validity > 0
                else False,
            }
        )
        self.env["mfg.integration.audit.log"]._record(
            "key_rotated" if replaces else "key_issued",
            key,
            client=client,
            summary=_(
                "Key %(key)s issued for %(client)s%(rotation)s",
                key=key.display_prefix,
                client=client.name,
                rotation=_(" (replaces %s)", replaces.display_prefix) if replaces else "",
            ),
        )
        client.message_post(
            body=_("New API key %s issued.", key.display_prefix), subtype_xmlid="mail.mt_note"
        )
        return key.with_env(self.env), secret

    def _reveal_action(self, secret):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Your new API key"),
            "res_model": "mfg.integration.api.key.reveal",
            "view_mode": "form",
            "target": "new",
            # the key travels to the browser once, in the action's context,
            # and is stored nowhere
            "context": {"default_key_id": self.id, "mfg_api_key_secret": secret},
        }

    def action_rotate(self):
        """Issue a successor; this key keeps working for the client's grace period."""
        self.ensure_one()
        self.client_id._check_manager()
        if self.state != "active":
            return self.client_id.action_issue_key()
        new_key, secret = self._issue(self.client_id, replaces=self)
        grace = timedelta(hours=self.client_id.key_rotation_grace_hours)
        self.sudo().write(
            {"grace_until": fields.Datetime.now() + grace, "replaced_by_id": new_key.id}
        )
        return new_key._reveal_action(secret)

    def action_revoke(self):
        self.client_id._check_manager()
        self._revoke(_("revoked by %s", self.env.user.name))

    def _revoke(self, reason):
        keys = self.filtered(lambda key: not key.revoked_at)
        keys.sudo().write({"revoked_at": fields.Datetime.now(), "revoked_reason": reason})
        for key in keys:
            self.env["mfg.integration.audit.log"]._record(
                "key_revoked",
                key,
                client=key.client_id,
                summary=_("Key %(key)s revoked: %(reason)s", key=key.display_prefix, reason=reason),
            )

    # ------------------------------------------------------------------
    # Scheduled maintenance
    # ------------------------------------------------------------------
    @api.model
    def _cron_maintain_keys(self, notice_days=14):
        """Revoke rotated keys past their grace; warn owners of keys near expiry."""
        now = fields.Datetime.now()
        past_grace = self.sudo().search(
            [("revoked_at", "=", False), ("grace_until", "!=", False), ("grace_until", "<=", now)]
        )
        past_grace._revoke(_("rotation grace period ended"))
        expiring = self.sudo().search(
            [
                ("revoked_at", "=", False),
                ("grace_until", "=", False),
                ("expiry_notified", "=", False),
                ("expires_at", "!=", False),
                ("expires_at", "<=", now + timedelta(days=notice_days)),
            ]
        )
        activity_type = self.env.ref("mfg_integration_governance.mail_activity_key_expiry")
        for key in expiring:
            key.client_id.activity_schedule(
                activity_type_id=activity_type.id,
                date_deadline=min(key.expires_at.date(), (now + timedelta(days=1)).date()),
                summary=_("API key %s expires soon: rotate it", key.display_prefix),
                note=_(
                    "Key %(key)s of %(client)s expires on %(date)s. Rotate it and hand the "
                    "new key to the client's administrators.",
                    key=key.display_prefix,
                    client=key.client_id.name,
                    date=key.expires_at,
                ),
                user_id=key.client_id.owner_id.id,
            )
        expiring.write({"expiry_notified": True})
        return len(past_grace), len(expiring)
