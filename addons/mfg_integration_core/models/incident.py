"""The incident service every part of the suite reports failures to.

A source (a dead webhook delivery, a refused command, a production variance, a
failed job...) calls ``env["mfg.integration.incident"]._report(...)`` from its
own addon and declares its category there with ``selection_add`` on this
model's ``category`` field. Core only logs the report; the exception app
extends ``_report`` to open an exception that a planner owns and resolves.

A failed item that can be processed again (a delivery, a batch item, a job)
inherits ``mfg.integration.retryable`` and is passed as ``source``; when it
later succeeds, by a retry or by itself, its addon calls ``_source_settled``.
Adding a source is one file, ``models/incident_sources.py``, in the addon
that owns the failure (see core's readme).
"""

import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

SEVERITIES = [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")]
LOG_LEVELS = {"low": logging.INFO, "medium": logging.WARNING}


class MfgIntegrationIncident(models.AbstractModel):
    _name = "mfg.integration.incident"
    _description = "Integration Incident Service"

    category = fields.Selection(
        [("other", "Other")],
        help="What kind of failure; each source adds its own with selection_add.",
    )
    severity = fields.Selection(SEVERITIES)

    @api.model
    def _report(
        self,
        category,
        summary,
        key,
        severity="medium",
        system=None,
        record=None,
        source=None,
        detail=None,
        job_uuid=None,
        correlation_id=None,
        mapping=None,
    ):
        """Report a business or technical incident. It can be inherited.

        :param category: a value of this model's ``category`` selection
        :param summary: one line a planner understands
        :param key: what makes two reports the same problem (e.g. the unmapped
            code); with the category and the system it forms the fingerprint
        :param system: the connected system concerned, if any
        :param record: the business record concerned, if any
        :param source: the failed item, a ``mfg.integration.retryable`` record
            that a retry reprocesses (delivery, batch item, job)
        :param mapping: (type, kind, value) when a missing mapping is the cause,
            type "code" (value-map entry) or "reference" (cross-reference)
        :return: the record that tracks the incident; here, with no exception
            app installed, nothing: the report goes to the server log
        """
        _logger.log(
            LOG_LEVELS.get(severity, logging.ERROR),
            "Integration incident [%s] %s%s (key %s, source %s, correlation %s)%s",
            category,
            f"{system.code}: " if system else "",
            summary,
            key,
            f"{source._name}{source.ids}" if source else "-",
            correlation_id or "-",
            f": {detail}" if detail else "",
        )
        return None

    @api.model
    def _source_settled(self, sources):
        """Tell that failed items reported earlier have since succeeded (a
        requeued job that is done, a delivery that went through). It can be
        inherited: the exception app resolves what they caused.

        :param sources: records of one ``mfg.integration.retryable`` model
        """
        if sources:
            _logger.info("Integration incident sources settled: %s%s", sources._name, sources.ids)
        return None

    @api.model
    def _category_selection(self):
        """Every category declared by the installed sources, labelled in the
        user's language (a field's selection list itself is not translated)."""
        return self._fields["category"]._description_selection(self.env)

    @api.model
    def _is_retryable(self, record):
        """Whether ``record`` is a failed item a retry can process again."""
        return isinstance(record, self.env.registry["mfg.integration.retryable"])


class MfgIntegrationRetryable(models.AbstractModel):
    """A failed item that can be processed again: a delivery, a batch item, a
    job, a consumed message. Sources implement the two methods below."""

    _name = "mfg.integration.retryable"
    _description = "Retryable Integration Item"

    def _integration_retry(self):
        """Process the item again, by the same rules as the first time.

        :return: True when it now succeeded, False when it failed again, None
            when it was queued and reports its outcome later through
            ``mfg.integration.incident._source_settled``
        """
        raise NotImplementedError(f"{self._name} does not say how to retry it")

    def _integration_succeeded(self):
        """Whether the item has since succeeded (nothing is left to retry)."""
        return False
