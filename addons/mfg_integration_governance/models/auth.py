"""The authentication service the inbound API calls on every request."""

import hmac
import ipaddress
import logging
import math
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime

import psycopg2

from odoo import api, fields, models, sql_db, tools
from odoo.tools import SQL

from .api_client import parse_networks
from .api_key import hash_key, key_state, split_key

_logger = logging.getLogger(__name__)

# compared against when no key matches, so that both paths cost the same
_DUMMY_HASH = hash_key("mfgk_00000000_" + "0" * 43)
RATE_TABLE = "mfg_integration_rate_bucket"
REFUSAL_TABLE = "mfg_integration_credential_refusal"


class CounterConnection:
    """One connection per process and database, in autocommit mode, for the
    statements that count every request (rate-limit tokens, refused
    credentials).

    Several statements sent at once run as one implicit transaction: one
    round trip, where a cursor of Odoo's pool costs five (reset, BEGIN, the
    isolation level, the statement, COMMIT). The session does not wait for
    the disk on commit (``synchronous_commit`` off, on this connection only):
    a database crash may forget the last fraction of a second of counting,
    which only hands callers back a few tokens; business transactions keep
    the server's setting. It is one more connection per Odoo process, beside
    Odoo's pool (``db_maxconn`` does not count it).
    """

    _lock = threading.Lock()
    # (pid, database): connection. A forked process inherits its parent's
    # entries: they are kept, never used nor closed (closing one would end
    # the parent's session on the shared socket)
    _connections = {}

    @classmethod
    def _connection(cls, dbname):
        key = (os.getpid(), dbname)
        connection = cls._connections.get(key)
        if connection is None or connection.closed:
            _name, info = sql_db.connection_info_for(dbname)
            connection = psycopg2.connect(**info)
            connection.autocommit = True
            with connection.cursor() as cr:
                cr.execute("SET synchronous_commit TO OFF")
            cls._connections[key] = connection
        return connection

    @classmethod
    def run(cls, dbname, query):
        """Run ``query`` (SQL); return its first row, or None."""
        with cls._lock:
            for attempt in (1, 2):
                connection = cls._connection(dbname)
                try:
                    with connection.cursor() as cr:
                        cr.execute(query.code, query.params)
                        return cr.fetchone() if cr.description else None
                except (psycopg2.OperationalError, psycopg2.InterfaceError):
                    if attempt == 2 or not connection.closed:
                        raise
                    # the server closed the session (a restart): once more on a new one
                    _logger.info("Counter connection to %s lost; reconnecting", dbname)


class AuthRefused(Exception):
    """A refused request: `status` and `public_detail` go to the caller,
    `reason` only to the logs."""

    status = 401
    title = "Unauthorized"

    def __init__(
        self, reason, public_detail, client=None, retry_after=None, headers=None, logged=True
    ):
        super().__init__(reason)
        self.reason = reason
        self.public_detail = public_detail
        self.client = client
        self.retry_after = retry_after
        self.headers = headers or {}
        # False: counted in mfg.integration.credential.refusal, not worth a log row
        self.logged = logged


class Unauthenticated(AuthRefused):
    status = 401
    title = "Unauthorized"


class Forbidden(AuthRefused):
    status = 403
    title = "Forbidden"


class Throttled(AuthRefused):
    status = 429
    title = "Too Many Requests"


@dataclass(frozen=True)
class KeyFacts:
    """What authentication reads of a key and its client (see _key_facts)."""

    key_id: int
    key_hash: str
    display_prefix: str
    revoked_at: datetime | None
    expires_at: datetime | None
    grace_until: datetime | None
    client_id: int
    client_name: str
    client_state: str
    networks: tuple
    scopes: frozenset
    company_ids: tuple  # the client's company first
    rate_limit_burst: int
    rate_limit_per_minute: int
    user_id: int
    # what the pipeline records and counts of every request (log row, metrics)
    company_id: int = 0
    system_id: int = 0
    system_code: str = ""


@dataclass
class AuthResult:
    client: models.BaseModel
    user: models.BaseModel
    key: models.BaseModel
    headers: dict = field(default_factory=dict)
    company_ids: tuple = ()  # where the client may act, its own company first
    facts: KeyFacts | None = None  # what was read of the key and client (cached)


# a refusal's reason in metrics: the API's problem type for its status
REFUSAL_REASONS = {401: "unauthenticated", 403: "forbidden", 429: "rate-limited"}

# one answer for every unusable key: the caller learns nothing about why
UNAUTHENTICATED_DETAIL = "A valid API key is required (Authorization: Bearer <key>)."


class MfgIntegrationAuth(models.AbstractModel):
    _name = "mfg.integration.auth"
    _description = "API Authentication Service"

    def init(self):
        # no foreign key: buckets are written from their own short transactions
        self.env.cr.execute(
            SQL(
                """CREATE TABLE IF NOT EXISTS %s (
                       client_id integer PRIMARY KEY,
                       tokens double precision NOT NULL,
                       updated_at timestamp NOT NULL
                   )""",
                SQL.identifier(RATE_TABLE),
            )
        )

    @api.model
    def authenticate(self, api_key, ip_address, scope, company=None):
        """Check a request; return an AuthResult or raise an AuthRefused.

        :param api_key: the key as presented (may be None or garbage)
        :param ip_address: the caller's address
        :param scope: the scope code the route requires, e.g. production:write
        :param company: the company the request acts in (record or id), if any
        """
        facts = self._find_key(api_key, ip_address)
        client = self.env["mfg.integration.client"].browse(facts.client_id)
        now = fields.Datetime.now()
        state = key_state(facts.revoked_at, facts.expires_at, facts.grace_until, now)
        if state != "active" and state != "grace":
            self._refuse(Unauthenticated, f"key {facts.display_prefix} is {state}", client)
        return self._authorize(facts, scope, company, ip_address=ip_address)

    @api.model
    def authenticate_client(self, client_id, scope, company=None):
        """Check a caller that its transport vouches for without a key (a broker
        queue bound to a client): the client's state, company, scope and rate
        limit apply as for a key. Returns an AuthResult (its key is empty) or
        raises an AuthRefused."""
        facts = self._client_facts(client_id)
        if facts is None:
            self._refuse(Unauthenticated, f"client {client_id} does not exist", None)
        return self._authorize(facts, scope, company, check_address=False)

    def _authorize(self, facts, scope, company, ip_address=None, check_address=True):
        """What applies to every caller once it is known: the client approved,
        its address (unless the transport has none to check), company and
        scope, and its rate limit."""
        client = self.env["mfg.integration.client"].browse(facts.client_id)
        if facts.client_state != "approved":
            self._refuse(
                Unauthenticated, f"client {facts.client_name} is {facts.client_state}", client
            )
        if check_address and not self._ip_allowed(facts.networks, ip_address):
            self._refuse(
                Forbidden,
                f"address {ip_address} is outside the allow-list of {facts.client_name}",
                client,
                "This address may not use this API key.",
            )
        company_id = company.id if isinstance(company, models.BaseModel) else company
        if company_id and company_id not in facts.company_ids:
            self._refuse(
                Forbidden,
                f"client {facts.client_name} may not act in company {company_id}",
                client,
                "This client may not act in that company.",
            )
        if scope and scope not in facts.scopes:
            self._refuse(
                Forbidden,
                f"client {facts.client_name} lacks scope {scope}",
                client,
                f"This client lacks the scope '{scope}'.",
            )
        allowed, headers, retry_after = self._consume_token(facts, ip_address)
        if not allowed:
            headers["Retry-After"] = str(retry_after)
            self._refuse(
                Throttled,
                f"client {facts.client_name} is over its rate limit",
                client,
                f"Rate limit exceeded: retry in {retry_after} s.",
                retry_after=retry_after,
                headers=headers,
            )
        user = self.env["res.users"].browse(facts.user_id)
        return AuthResult(
            client=client.with_user(user),
            user=user,
            key=self.env["mfg.integration.api.key"].browse(facts.key_id or ()),
            headers=headers,
            company_ids=facts.company_ids,
            facts=facts,
        )

    def _find_key(self, api_key, ip_address):
        prefix = split_key(api_key)
        facts = self._key_facts(prefix) if prefix else None
        presented = hash_key(api_key) if isinstance(api_key, str) else ""
        stored = facts.key_hash if facts else _DUMMY_HASH
        if not hmac.compare_digest(presented, stored) or not facts:
            reason = "malformed key" if not prefix else "unknown key"
            self._refuse_bad_credentials(reason, ip_address)
        return facts

    def _refuse_bad_credentials(self, reason, ip_address):
        """Refuse a missing, unknown or wrong key: 401, or 429 once the address
        has sent more than mfg_integration.auth_failures_per_minute of them this
        minute (0: never throttled). A valid key is found before this is ever
        called: its client keeps working from an address that a neighbour
        behind the same NAT floods with bad keys. Each refusal costs one counter
        update; only the first of the minute, and the first throttled one, are
        logged."""
        limit = self.env["mfg.integration.settings"]._get("auth_failures_per_minute", 60)
        count, seconds_left = self._count_bad_credentials(ip_address)
        if limit > 0 and count > limit:
            self._refuse(
                Throttled,
                f"{reason}; {ip_address} sent more than {limit} bad credentials this minute "
                "(the next ones are counted under Refused Credentials, not logged)",
                None,
                f"Too many requests without a valid API key: retry in {seconds_left} s.",
                retry_after=seconds_left,
                headers={"Retry-After": str(seconds_left)},
                logged=count == limit + 1,
            )
        self._refuse(
            Unauthenticated,
            f"{reason}; first bad credential from {ip_address} this minute (the next ones are "
            "counted under Refused Credentials, not logged)"
            if count == 1
            else reason,
            None,
            logged=count == 1,
        )

    @api.model
    def _count_bad_credentials(self, ip_address):
        """Count one refusal for the address in the current minute, in one
        statement and its own short transaction (like the rate-limit bucket).
        Returns (refusals of the address this minute, seconds to the next minute)."""
        now = fields.Datetime.now()
        minute = now.replace(second=0, microsecond=0)
        count = SQL(
            """INSERT INTO %(table)s AS refusal (address, minute, count, create_date, write_date)
               VALUES (%(address)s, %(minute)s, 1, %(now)s, %(now)s)
               ON CONFLICT (address, minute) DO UPDATE
                  SET count = refusal.count + 1, write_date = EXCLUDED.write_date
            RETURNING refusal.count""",
            table=SQL.identifier(REFUSAL_TABLE),
            address=ip_address or "unknown",
            minute=minute,
            now=now,
        )
        refusals = self._run_counter_statements(count)[0]
        return refusals, 60 - now.second

    @api.model
    def _run_counter_statements(self, *statements):
        """Run ``statements`` as one short transaction of their own, in one
        round trip to the database; return the last one's first row (or None).

        For counters that every request updates (the rate-limit bucket, the
        refusals of an address), on this process's counter connection (see
        ``CounterConnection``): the transaction is READ COMMITTED, so a
        concurrent request's row lock is waited for rather than failed on,
        and never holds its rows for the length of a business transaction.
        Under the test mode of HTTP tests the registry's one test cursor runs
        them instead.
        """
        registry = self.env.registry
        if registry.in_test_mode():
            with registry.cursor() as cr:
                for statement in statements:
                    cr.execute(statement)
                return cr.fetchone()
        return CounterConnection.run(
            self.env.cr.dbname, SQL("; ".join(["%s"] * len(statements)), *statements)
        )

    @api.model
    def _refusal_logged(self, problem):
        """Whether the message log gets a row for this API problem: refused
        credentials are counted, and only sampled in the log."""
        refusal = problem.__cause__ if problem is not None else None
        return not isinstance(refusal, AuthRefused) or refusal.logged

    @tools.ormcache("prefix")
    def _key_facts(self, prefix):
        """What authentication reads of the key with this prefix and of its
        client, or None. Cached: keys, clients and scopes clear it when they
        change (mfg.integration.auth.source: keys, clients, scopes and
        systems); time-bound states are computed from it on each request."""
        key = self.env["mfg.integration.api.key"].sudo().search([("prefix", "=", prefix)], limit=1)
        if not key:
            return None
        return self._facts(key.client_id, key)

    @tools.ormcache("client_id")
    def _client_facts(self, client_id):
        """What authorization reads of a client that calls without a key, or None."""
        client = self.env["mfg.integration.client"].sudo().browse(client_id).exists()
        return self._facts(client, None) if client else None

    def _facts(self, client, key):
        return KeyFacts(
            key_id=key.id if key else 0,
            key_hash=key.key_hash if key else "",
            display_prefix=key.display_prefix if key else "",
            revoked_at=key.revoked_at if key else None,
            expires_at=key.expires_at if key else None,
            grace_until=key.grace_until if key else None,
            client_id=client.id,
            client_name=client.name,
            client_state=client.state,
            networks=tuple(parse_networks(client.ip_allowlist)),
            scopes=frozenset(client.scope_ids.mapped("code")),
            company_ids=tuple(client._allowed_companies().ids),
            rate_limit_burst=client.rate_limit_burst,
            rate_limit_per_minute=client.rate_limit_per_minute,
            user_id=client.technical_user_id.id,
            company_id=client.company_id.id,
            system_id=client.system_id.id,
            system_code=client.system_id.code or "",
        )

    def _refuse(self, error_class, reason, client, public_detail=None, **kwargs):
        self.env["mfg.integration.telemetry"]._count(
            "mfg_refusals_total", reason=REFUSAL_REASONS[error_class.status]
        )
        if kwargs.get("logged", True):
            _logger.warning("API request refused: %s", reason)
        raise error_class(reason, public_detail or UNAUTHENTICATED_DETAIL, client=client, **kwargs)

    @api.model
    def _ip_allowed(self, networks, ip_address):
        if not networks:
            return True
        try:
            address = ipaddress.ip_address(ip_address)
        except (TypeError, ValueError):
            return False
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in networks)

    @api.model
    def _consume_token(self, facts, ip_address):
        """Token bucket in PostgreSQL, shared by every worker and server.

        Runs in its own short transaction (``_run_counter_statements``) so
        that the bucket row is never locked for the length of a business
        transaction.
        Returns (allowed, RateLimit headers, seconds to wait).
        """
        burst = facts.rate_limit_burst
        rate = facts.rate_limit_per_minute / 60.0
        table = SQL.identifier(RATE_TABLE)
        # one round trip: refill by the time elapsed, take a token when one is
        # there, count the key's use; the row lock serialises one client's requests
        take = SQL(
            """WITH clock AS (SELECT clock_timestamp() AT TIME ZONE 'UTC' AS now),
                    level AS (
                        SELECT LEAST(%(burst)s, bucket.tokens + GREATEST(0,
                                   EXTRACT(EPOCH FROM clock.now - bucket.updated_at)) * %(rate)s)
                                   AS tokens, clock.now
                          FROM %(table)s AS bucket, clock
                         WHERE bucket.client_id = %(client)s
                           FOR UPDATE OF bucket),
                    used AS (
                        UPDATE mfg_integration_api_key
                           SET last_used_at = level.now, last_used_ip = %(ip)s,
                               usage_count = COALESCE(usage_count, 0) + 1
                          FROM level
                         WHERE id = %(key)s AND level.tokens >= 1)
               UPDATE %(table)s AS bucket
                  SET tokens = CASE WHEN level.tokens >= 1 THEN level.tokens - 1
                                    ELSE level.tokens END,
                      updated_at = level.now
                 FROM level
                WHERE bucket.client_id = %(client)s
            RETURNING level.tokens >= 1, bucket.tokens""",
            burst=burst,
            rate=rate,
            table=table,
            client=facts.client_id,
            ip=ip_address,
            key=facts.key_id,
        )
        row = self._run_counter_statements(take)
        if row is None:  # the client's first request: a full bucket
            fill = SQL(
                """INSERT INTO %s (client_id, tokens, updated_at)
                   VALUES (%s, %s, clock_timestamp() AT TIME ZONE 'UTC')
                   ON CONFLICT DO NOTHING""",
                table,
                facts.client_id,
                burst,
            )
            row = self._run_counter_statements(fill, take)
        allowed, tokens = row
        remaining = max(0, math.floor(tokens))
        reset = math.ceil((burst - tokens) / rate) if tokens < burst else 0
        headers = {
            "RateLimit-Limit": str(burst),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{burst};w=60;burst={burst};rate={facts.rate_limit_per_minute}",
        }
        retry_after = 0 if allowed else max(1, math.ceil((1 - tokens) / rate))
        return allowed, headers, retry_after

    @api.model
    def _purge_idle_buckets(self):
        """Buckets idle for a day are full again: drop them."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM %s WHERE updated_at < (now() AT TIME ZONE 'UTC') - interval '1 day'",
                SQL.identifier(RATE_TABLE),
            )
        )
        return self.env.cr.rowcount
