"""The telemetry service: counting a metric and tracing a span.

Any part of the suite reports what it does here, from its own addon:
``env["mfg.integration.telemetry"]._count("mfg_requests_total", command=..., status=...)``,
``._observe("mfg_request_duration_seconds", 0.042, command=...)`` and
``with env["mfg.integration.telemetry"]._span("mfg.command apply", traceparent=...) as span:``.
An addon declares the metrics it counts by extending ``_metric_definitions``.

Core only declares the service and drops what it is told, so that reporting
costs nearly nothing where nobody watches; ``mfg_integration_observability``
extends it to export Prometheus metrics and OpenTelemetry spans.
"""

from contextlib import contextmanager
from typing import NamedTuple

from odoo import api, models


class Metric(NamedTuple):
    """A metric an addon counts: ``kind`` is "counter" or "histogram"."""

    kind: str
    documentation: str
    labels: tuple = ()
    buckets: tuple | None = None


class UntracedSpan:
    """What ``_span`` yields when nothing traces: it hands the caller's
    ``traceparent`` on unchanged and ignores the rest."""

    def __init__(self, traceparent=None):
        self.traceparent = traceparent

    def set_attribute(self, key, value):
        """Attributes are dropped when nothing traces."""

    def set_error(self, description):
        """An error is dropped when nothing traces."""


class MfgIntegrationTelemetry(models.AbstractModel):
    _name = "mfg.integration.telemetry"
    _description = "Integration Telemetry Service"

    @api.model
    def _metric_definitions(self):
        """The metrics the suite counts, ``{name: Metric}``. It can be
        inherited: each addon adds the metrics of its own hot paths."""
        return {}

    @api.model
    def _count(self, name, amount=1, **labels):
        """Add ``amount`` to the counter ``name`` with these label values.
        It can be inherited; here it does nothing."""

    @api.model
    def _observe(self, name, value, **labels):
        """Record one observation (e.g. a duration in seconds) in the
        histogram ``name``. It can be inherited; here it does nothing."""

    @api.model
    @contextmanager
    def _span(self, name, kind="internal", traceparent=None, attributes=None, current=True):
        """Trace the work done inside the ``with`` block as one span.

        :param kind: "server", "client", "producer", "consumer" or "internal"
        :param traceparent: the W3C ``traceparent`` to continue (a caller's
            header, or the one stored with an event or a job); without one
            the span continues the current span, if any
        :param attributes: OpenTelemetry semantic-convention attributes
        :param current: whether the span is the current one inside the block
            (the parent of spans opened there, and what a job enqueued there
            continues); False for spans opened side by side, e.g. one per
            message of a batch that is published at once
        :return: a span with ``traceparent`` (the value to send on: the span's
            own when traced, else the one given), ``set_attribute(key, value)``
            and ``set_error(description)``. It can be inherited; here nothing
            is traced.
        """
        yield UntracedSpan(traceparent)
