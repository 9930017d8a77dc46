import hashlib
import json
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..problems import SERVER_KINDS, CommandProblem, Outcome


class MfgIntegrationIdempotency(models.Model):
    """The outcome of a write, kept under the caller's Idempotency-Key."""

    _name = "mfg.integration.idempotency"
    _description = "Idempotency Key"
    _order = "id desc"

    client_id = fields.Many2one("mfg.integration.client", required=True, ondelete="cascade")
    key = fields.Char(required=True)
    route = fields.Char(required=True)
    fingerprint = fields.Char(required=True, help="SHA-256 of method, path and body.")
    response_status = fields.Integer()
    response_body = fields.Text()
    response_headers = fields.Text()
    expires_at = fields.Datetime(required=True, index=True)
    company_id = fields.Many2one(related="client_id.company_id", store=True)

    _sql_constraints = [
        (
            "client_key_uniq",
            "unique(client_id, key)",
            "An idempotency key is used once per client.",
        ),
    ]

    @api.model
    def _begin(self, client, key, command, invocation, before=None):
        """Claim the key, or return the stored outcome to replay.

        A concurrent request with the same key waits on the unique index
        until the first one commits, then replays its outcome.
        Returns (claim record or None, Outcome to replay or None).

        :param before: a statement (SQL) to send first, in the same round trip
        """
        if len(key) > 255:
            raise CommandProblem(
                "validation-error", "The Idempotency-Key is longer than 255 characters."
            )
        fingerprint = hashlib.sha256(
            b"\n".join(
                [
                    command.label.encode(),
                    json.dumps(invocation.params, sort_keys=True).encode(),
                    invocation.raw or b"",
                ]
            )
        ).hexdigest()
        now = fields.Datetime.now()
        hours = self.env["mfg.integration.settings"]._get("api_idempotency_hours", 24)
        cr = self.env.cr
        claim = SQL(
            """INSERT INTO mfg_integration_idempotency
                   (client_id, key, route, fingerprint, expires_at, company_id,
                    create_uid, create_date, write_uid, write_date)
               VALUES (%s, %s, %s, %s, %s,
                       (SELECT company_id FROM mfg_integration_client WHERE id = %s),
                       %s, %s, %s, %s)
               ON CONFLICT (client_id, key) DO NOTHING
               RETURNING id""",
            client.id,
            key,
            f"{invocation.method} {invocation.instance or invocation.channel}".strip(),
            fingerprint,
            now + timedelta(hours=hours),
            client.id,
            self.env.uid,
            now,
            self.env.uid,
            now,
        )
        # a new key (the usual case) costs this one statement; a key met
        # before is read, and claimed afresh only when its window has ended
        cr.execute(SQL("%s; %s", before, claim) if before else claim)
        row = cr.fetchone()
        if row:
            return self.browse(row[0]), None
        cr.execute(
            """SELECT fingerprint, response_status, response_body, response_headers, expires_at
                 FROM mfg_integration_idempotency WHERE client_id = %s AND key = %s""",
            [client.id, key],
        )
        stored_fingerprint, status, body, headers, expires_at = cr.fetchone()
        if expires_at < now:
            cr.execute(
                "DELETE FROM mfg_integration_idempotency WHERE client_id = %s AND key = %s "
                "AND expires_at < %s",
                [client.id, key, now],
            )
            cr.execute(claim)
            return self.browse(cr.fetchone()[0]), None
        if stored_fingerprint != fingerprint:
            raise CommandProblem(
                "idempotency-key-reused",
                f"Idempotency-Key '{key}' was already used with another request; use a new "
                "key for a new request.",
            )
        if not status:
            raise CommandProblem(
                "conflict", f"A request with Idempotency-Key '{key}' is still being processed."
            )
        return None, Outcome.stored(status, json.loads(body), json.loads(headers or "{}"))

    def _finish(self, response, keep_refusal=True):
        """Store the outcome (server errors are not stored: the caller may retry;
        nor refusals, unless ``keep_refusal``)."""
        self.env.cr.execute(self._finish_sql(response, keep_refusal))

    def _finish_sql(self, response, keep_refusal=True):
        """The statement that stores the outcome (see ``_finish``), for the
        pipeline to send with the message log row in one round trip."""
        self.ensure_one()
        # what this transaction's cache holds of the claim is stale once it runs
        self.invalidate_recordset()
        if response.kind in SERVER_KINDS or (not response.succeeded and not keep_refusal):
            return SQL("DELETE FROM mfg_integration_idempotency WHERE id = %s", self.id)
        kept = {k: v for k, v in response.headers.items() if k in ("Location",)}
        return SQL(
            """UPDATE mfg_integration_idempotency
                  SET response_status = %s, response_body = %s, response_headers = %s,
                      write_uid = %s, write_date = now() AT TIME ZONE 'UTC'
                WHERE id = %s""",
            response.status,
            json.dumps(response.body, default=str),
            json.dumps(kept),
            self.env.uid,
            self.id,
        )

    @api.model
    def _purge_expired(self):
        """Delete the keys whose replay window has ended; return how many."""
        Retention = self.env["mfg.integration.retention"]
        return Retention._purge_rule(Retention._retention_rules()["idempotency"])
