"""API versions: the lifecycle of a command version (v1, v2) across transports.

A deprecated version keeps answering, with the headers that tell a caller
when it goes away and what replaces it: ``Deprecation`` (RFC 9745, a
structured-field date), ``Sunset`` (RFC 8594, an HTTP-date) and ``Link``
relations ``deprecation``, ``sunset`` and ``successor-version``. After its
sunset date (or once retired) it answers 410 Gone, naming the successor.
"""

from datetime import datetime, time, timezone
from email.utils import format_datetime

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

# days before a sunset when each client that still calls the version hears of it
SUNSET_NOTICE_DAYS = (30, 7)
POLICY_FIELDS = {
    "number",
    "state",
    "successor_id",
    "deprecation_date",
    "sunset_date",
    "documentation_url",
}


def _midnight_utc(day):
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


class MfgIntegrationApiVersion(models.Model):
    _name = "mfg.integration.api.version"
    _description = "Integration API Version"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "mfg.integration.audited",
        "mfg.integration.catalog.governed",
    ]
    _order = "number"

    name = fields.Char(compute="_compute_name", store=True)
    number = fields.Integer(
        required=True,
        tracking=True,
        help="The command version it governs: 1 for every command's v1, 2 for the v2s.",
    )
    state = fields.Selection(
        [
            ("preview", "Preview"),
            ("production", "Production"),
            ("deprecated", "Deprecated"),
            ("retired", "Retired"),
        ],
        required=True,
        default="production",
        tracking=True,
    )
    successor_id = fields.Many2one("mfg.integration.api.version", string="Successor", tracking=True)
    deprecation_date = fields.Date(
        tracking=True, help="When it was (or will be) deprecated: the Deprecation header."
    )
    sunset_date = fields.Date(
        tracking=True, help="From this day (00:00 UTC) it answers 410 Gone: the Sunset header."
    )
    documentation_url = fields.Char(
        string="Documentation URL",
        tracking=True,
        help="What the Link relations 'deprecation' and 'sunset' point to; the successor's "
        "is its 'successor-version' link.",
    )
    changelog = fields.Html()
    usage_ids = fields.One2many("mfg.integration.api.version.usage", "version_id")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )

    _sql_constraints = [
        ("number_uniq", "unique(number)", "A version number is declared once."),
    ]

    @api.depends("number")
    def _compute_name(self):
        for version in self:
            version.name = f"v{version.number}"

    @api.constrains("state", "sunset_date", "successor_id")
    def _check_deprecation(self):
        for version in self:
            if version.state in ("deprecated", "retired") and not version.successor_id:
                raise ValidationError(
                    _("A deprecated or retired version names its successor (%s).", version.name)
                )
            if version.successor_id == version:
                raise ValidationError(_("A version cannot succeed itself."))

    @api.model_create_multi
    def create(self, vals_list):
        versions = super().create(vals_list)
        self.env.registry.clear_cache()  # the request path's policy cache
        return versions

    def _in_production(self):
        """Callers use it: its changes are approved by four eyes."""
        return self.state in ("production", "deprecated")

    def write(self, vals):
        self._check_governed_write(vals)
        result = super().write(vals)
        if POLICY_FIELDS & set(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.model
    def _notify_upcoming_sunsets(self):
        """Daily: the owner of each client that still calls a deprecated
        version gets an activity 30 days, and again 7 days, before its sunset."""
        today = fields.Date.context_today(self)
        versions = self.sudo().search([("state", "=", "deprecated"), ("sunset_date", ">", today)])
        for version in versions:
            days_left = (version.sunset_date - today).days
            notice = min((days for days in SUNSET_NOTICE_DAYS if days_left <= days), default=0)
            if not notice:
                continue
            for usage in version.usage_ids.filtered(
                lambda u, notice=notice: not u.notice_days or u.notice_days > notice
            ):
                client = usage.client_id
                client.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=version.sunset_date,
                    user_id=client.owner_id.id,
                    summary=_(
                        "API %(version)s ends on %(sunset)s",
                        version=version.name,
                        sunset=version.sunset_date,
                    ),
                    note=_(
                        "%(client)s called %(version)s %(count)s times, last on %(last)s. "
                        "From %(sunset)s it answers 410 Gone: move to %(successor)s.",
                        client=client.name,
                        version=version.name,
                        count=usage.request_count,
                        last=usage.last_used,
                        sunset=version.sunset_date,
                        successor=version.successor_id.name,
                    ),
                )
                usage.notice_days = notice

    def _lifecycle_headers(self):
        """The headers a deprecated version's responses carry."""
        self.ensure_one()
        headers = {}
        links = []
        if self.deprecation_date:
            epoch = int(_midnight_utc(self.deprecation_date).timestamp())
            headers["Deprecation"] = f"@{epoch}"
        if self.documentation_url:
            links.append(f'<{self.documentation_url}>; rel="deprecation"')
        if self.sunset_date:
            headers["Sunset"] = format_datetime(_midnight_utc(self.sunset_date), usegmt=True)
            if self.documentation_url:
                links.append(f'<{self.documentation_url}>; rel="sunset"')
        if self.successor_id.documentation_url:
            links.append(f'<{self.successor_id.documentation_url}>; rel="successor-version"')
        if links:
            headers["Link"] = ", ".join(links)
        return headers


class MfgIntegrationApiVersionUsage(models.Model):
    """How often each client still calls a deprecated version."""

    _name = "mfg.integration.api.version.usage"
    _description = "Deprecated API Version Usage"
    _order = "last_used desc"

    version_id = fields.Many2one(
        "mfg.integration.api.version", required=True, ondelete="cascade", index=True
    )
    client_id = fields.Many2one("mfg.integration.client", required=True, ondelete="cascade")
    request_count = fields.Integer(string="Requests")
    last_used = fields.Datetime()
    notice_days = fields.Integer(
        help="The last sunset notice its client's owner got (30 or 7 days before)."
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )

    _sql_constraints = [
        ("version_client_uniq", "unique(version_id, client_id)", "One row per version and client."),
    ]

    @api.model
    def _count_call(self, version_id, client_id, company_id):
        """Count one call (one statement: it is on the request path)."""
        self.env.cr.execute(
            SQL(
                """INSERT INTO mfg_integration_api_version_usage
                       (version_id, client_id, company_id, request_count, last_used,
                        create_uid, write_uid, create_date, write_date)
                   VALUES (%(version)s, %(client)s, %(company)s, 1,
                           now() AT TIME ZONE 'UTC', %(uid)s, %(uid)s,
                           now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
                   ON CONFLICT (version_id, client_id) DO UPDATE
                   SET request_count = mfg_integration_api_version_usage.request_count + 1,
                       last_used = EXCLUDED.last_used, write_date = EXCLUDED.write_date""",
                version=version_id,
                client=client_id,
                company=company_id,
                uid=self.env.uid,
            )
        )
