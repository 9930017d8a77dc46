"""One purge service for every table that grows with traffic.

Each addon declares its tables in its own models/retention.py (extending
_retention_rules); one cron runs them all. Rows go in chunks, each its own
transaction outside tests, so that no purge holds locks for long."""

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


@dataclass
class RetentionRule:
    """Rows of `model` whose `date_field` is older than `setting` days, for
    which `where` holds and no `keep` condition does. `where` and `keep` are
    SQL conditions on the model's table (name it for correlated subqueries)."""

    model: str
    # days, read through mfg.integration.settings (0 or less: kept for ever);
    # None: date_field is itself the moment the row expires
    setting: str | None
    default_days: int = 0
    date_field: str = "create_date"
    where: SQL | None = None
    keep: list = field(default_factory=list)
    chunk_size: int = 1000
    # through the ORM, for models whose unlink cleans up more (mail threads)
    orm_unlink: bool = False


class MfgIntegrationRetention(models.AbstractModel):
    _name = "mfg.integration.retention"
    _description = "Integration Retention Service"

    @api.model
    def _retention_rules(self):
        """{name: RetentionRule}, in purge order. Addons add their tables and
        may add `keep` conditions to the rules of others; the deliveries of
        every sink kind keep their events here."""
        rules = {
            "message_log": RetentionRule(
                "mfg.integration.message.log", "log_retention_days", 30, chunk_size=10000
            ),
            # a sender's ids of what it created: kept while it still reports changes
            "link": RetentionRule(
                "mfg.integration.link", "link_retention_days", 365, date_field="write_date"
            ),
        }
        deliveries = self._delivery_rules()
        rules.update(deliveries)
        rules["event"] = RetentionRule(
            "mfg.integration.event",
            "event_retention_days",
            30,
            keep=[
                # an event stays while any of its deliveries is not final
                SQL(
                    "EXISTS (SELECT 1 FROM %s WHERE event_id = mfg_integration_event.id "
                    "AND NOT (%s))",
                    SQL.identifier(self.env[rule.model]._table),
                    rule.where,
                )
                for rule in deliveries.values()
            ],
        )
        return rules

    @api.model
    def _delivery_rules(self):
        """The deliveries of every sink kind: never a pending or retrying one,
        never a dead letter within the dead-letter retention."""
        dead_cutoff = self._cutoff("dead_letter_retention_days", 90)
        # a dead letter is final once past its own retention (0: kept until replayed)
        final = (
            SQL("state = 'delivered' OR (state = 'dead' AND create_date < %s)", dead_cutoff)
            if dead_cutoff
            else SQL("state = 'delivered'")
        )
        return {
            f"delivery:{Sink._name}": RetentionRule(
                Sink._delivery_model,
                "delivery_retention_days",
                30,
                where=final,
                chunk_size=5000,
            )
            for Sink in self.env["mfg.integration.outbox.sink"]._sink_models()
        }

    @api.model
    def _cutoff(self, setting, default_days):
        """The moment before which rows are past retention, or None (kept for ever)."""
        days = self.env["mfg.integration.settings"]._get(setting, default_days)
        if days <= 0:
            return None
        return fields.Datetime.now() - timedelta(days=days)

    @api.model
    def _purge_all(self):
        """What the retention cron runs: every rule; return {name: rows deleted}."""
        purged = {}
        for name, rule in self._retention_rules().items():
            try:
                purged[name] = self._purge_rule(rule)
            except Exception:
                if self._testing():
                    raise
                # one broken rule must not keep the other tables from their purge
                _logger.exception("Retention purge of %s failed", name)
                self.env.cr.rollback()
        return purged

    @api.model
    def _purge_rule(self, rule, chunk_size=None):
        """Delete the rows past the rule's retention; return how many."""
        if rule.setting:
            cutoff = self._cutoff(rule.setting, rule.default_days)
            if cutoff is None:
                return 0
        else:
            cutoff = fields.Datetime.now()
        conditions = [SQL("%s < %s", SQL.identifier(rule.date_field), cutoff)]
        if rule.where is not None:
            conditions.append(SQL("(%s)", rule.where))
        conditions += [SQL("NOT (%s)", keep) for keep in rule.keep]
        purged = self._purge(
            rule.model,
            SQL(" AND ").join(conditions),
            chunk_size or rule.chunk_size,
            orm_unlink=rule.orm_unlink,
        )
        if purged:
            _logger.info("Retention: purged %s rows of %s", purged, rule.model)
        return purged

    @api.model
    def _purge(self, model, condition, chunk_size=1000, orm_unlink=False):
        """Delete the rows of `model` matching `condition` (SQL on its table),
        `chunk_size` at a time, committing after each chunk outside tests.
        Rows locked by a running transaction are left for the next run."""
        records = self.env[model].sudo()
        records.flush_model()  # the SQL below must see what the ORM still holds
        table = SQL.identifier(records._table)
        purged = 0
        while True:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM %s WHERE %s ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                    table,
                    condition,
                    chunk_size,
                )
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            if not ids:
                break
            if orm_unlink:
                records.browse(ids).unlink()
            else:
                # foreign keys cascade to the rows that belong to these
                self.env.cr.execute(SQL("DELETE FROM %s WHERE id = ANY(%s)", table, ids))
                self.env.invalidate_all()
            purged += len(ids)
            if not self._testing():
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if len(ids) < chunk_size:
                break
        return purged

    @api.model
    def _testing(self):
        return getattr(threading.current_thread(), "testing", False)
