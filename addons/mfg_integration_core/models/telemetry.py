"""The telemetry service: counting a metric and tracing a span.

Any part of the suite reports what it does here, from its own addon:
``env["mfg.integration.telemetry"]._count("mfg_requests_total", command=..., status=...)``,
``._observe("mfg_request_duration_seconds", 0.042, command=...)`` and
``with env["mfg.integration.telemetry"]._span("mfg.command apply", traceparent=...) as span:``.
An addon declares the metrics it counts by extending ``_metric_definitions``,
and the figures it computes from its tables when metrics are read by
extending ``_gauge_definitions``.

A metric about one company's records (a system's requests, a subscriber's
deliveries, a backlog) has a ``company`` label, the company's id, so that an
API key of one company reads only the series of its own companies. A caller
that counts for no company leaves that label out: it is then empty.

Core only declares the service and drops what it is told, so that reporting
costs nearly nothing where nobody watches; ``mfg_integration_observability``
extends it to export Prometheus metrics and OpenTelemetry spans.
"""

from collections.abc import Callable
from contextlib import contextmanager
from typing import NamedTuple

from odoo import api, models
from odoo.tools import SQL


class Metric(NamedTuple):
    """A metric an addon counts: ``kind`` is "counter" or "histogram"."""

    kind: str
    documentation: str
    labels: tuple = ()
    buckets: tuple | None = None


class MetricsAccess(NamedTuple):
    """Whether a key may read the metrics: ``refusal`` is None when it may,
    else ``(HTTP status, detail)``; ``company_ids`` are the companies whose
    series it reads."""

    refusal: tuple | None = None
    company_ids: tuple = ()


class Gauge(NamedTuple):
    """A figure computed when the metrics are read (a backlog, open exceptions):
    ``collect`` is called then and returns ``[(label values, value)]``, label
    values in the order of ``labels``."""

    documentation: str
    labels: tuple
    collect: Callable


# buckets for durations from a millisecond to a minute
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# buckets for an event's wait from commit to the receiver, up to a day
DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400)
# credentials expiring within this many days are reported
EXPIRY_WARNING_DAYS = 14


def _read_once(read):
    """``read`` called at the first call only: gauges that share one query."""
    found = []

    def once():
        if not found:
            found.append(read())
        return found[0]

    return once


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
        inherited: each addon adds the metrics of its own hot paths. Core's
        are those of the outbox and the mapping engine."""
        return {
            "mfg_deliveries_total": Metric(
                "counter",
                "Outbox delivery attempts by subscriber, sink kind and outcome "
                "(delivered, failed, dead).",
                ("subscriber", "sink", "outcome", "company"),
            ),
            "mfg_delivery_latency_seconds": Metric(
                "histogram",
                "Time from an event's commit to the receiver's acknowledgement.",
                ("subscriber", "company"),
                DELIVERY_BUCKETS,
            ),
            "mfg_delivery_retries_total": Metric(
                "counter", "Delivery attempts after the first.", ("subscriber", "company")
            ),
            "mfg_dead_letters_total": Metric(
                "counter",
                "Deliveries and messages given up as dead letters.",
                ("subscriber", "company"),
            ),
            "mfg_circuit_openings_total": Metric(
                "counter",
                "Times a subscriber's circuit breaker opened.",
                ("subscriber", "company"),
            ),
            "mfg_mapping_cache_lookups_total": Metric(
                "counter",
                "Cross-reference and value-map lookups by result (hit: answered from the "
                "cache).",
                ("kind", "result"),
            ),
        }

    @api.model
    def _gauge_definitions(self):
        """The figures computed from the database each time the metrics are
        read, ``{name: Gauge}``; reading them must be safe from any worker. It
        can be inherited: each addon adds the figures of its own tables. A
        gauge whose ``collect`` fails is left out of that reading alone."""
        outbox = _read_once(self._outbox_figures)

        def figure(name):
            return lambda: [(labels, values[name]) for labels, values in outbox().items()]

        return {
            "mfg_outbox_backlog": Gauge(
                "Deliveries waiting to be sent or retried, by subscriber.",
                ("subscriber", "sink", "company"),
                figure("backlog"),
            ),
            "mfg_outbox_oldest_pending_age_seconds": Gauge(
                "Age of the oldest delivery waiting to be sent, by subscriber (0: none waits).",
                ("subscriber", "sink", "company"),
                figure("oldest_age"),
            ),
            "mfg_outbox_sla_seconds": Gauge(
                "The subscriber's delivery SLA: how long an event may wait.",
                ("subscriber", "sink", "company"),
                figure("sla"),
            ),
            "mfg_circuit_open": Gauge(
                "1 while the subscriber's circuit breaker is open or half-open, else 0.",
                ("subscriber", "sink", "company"),
                figure("circuit_open"),
            ),
            "mfg_outbox_dead_deliveries": Gauge(
                "Dead-lettered deliveries not replayed yet, by subscriber.",
                ("subscriber", "sink", "company"),
                figure("dead"),
            ),
            "mfg_queue_jobs": Gauge(
                "queue_job jobs by channel, state and the company they were enqueued in "
                "(done and cancelled jobs left out).",
                ("channel", "state", "company"),
                self._collect_queue_jobs,
            ),
        }

    @api.model
    def _metrics_scrape_access(self, api_key, ip_address):
        """Whether ``api_key``, presented by ``ip_address``, may read the
        metrics, and the series of which companies: a ``MetricsAccess``. It
        can be inherited: governance, which owns API keys, accepts the keys of
        clients with the ``metrics:read`` scope. Here no key is valid."""
        return MetricsAccess(
            (401, "No API key can be checked here: install the API governance addon.")
        )

    # ------------------------------------------------------------------
    # Core's gauges
    # ------------------------------------------------------------------
    def _outbox_figures(self):
        """{(subscriber, sink kind, company id): {backlog, oldest_age, sla,
        circuit_open, dead}} of every subscriber not disabled."""
        figures = {}
        Sink = self.env["mfg.integration.outbox.sink"]
        for sinks in Sink._sink_models():
            Delivery, sink_field = sinks._deliveries()
            kind = sinks._sink_kind()
            # only the waiting and dead rows: the index on state keeps this quick
            # on millions of delivered ones
            self.env.cr.execute(
                SQL(
                    """SELECT sink.name, sink.company_id, sink.delivery_sla_seconds,
                              sink.circuit_state,
                              count(delivery.id) FILTER (
                                  WHERE delivery.state IN ('pending', 'retrying')),
                              EXTRACT(EPOCH FROM (clock_timestamp() AT TIME ZONE 'UTC')
                                  - min(delivery.create_date) FILTER (
                                        WHERE delivery.state IN ('pending', 'retrying'))),
                              count(delivery.id) FILTER (WHERE delivery.state = 'dead')
                         FROM %(sinks)s AS sink
                    LEFT JOIN %(deliveries)s AS delivery
                           ON delivery.%(sink_field)s = sink.id
                          AND delivery.state IN ('pending', 'retrying', 'dead')
                        WHERE sink.state != 'disabled'
                     GROUP BY sink.id""",
                    sinks=SQL.identifier(sinks._table),
                    deliveries=SQL.identifier(Delivery._table),
                    sink_field=SQL.identifier(sink_field),
                )
            )
            for name, company_id, sla, circuit, backlog, oldest, dead in self.env.cr.fetchall():
                figures[(name, kind, company_id or "")] = {
                    "backlog": backlog,
                    "oldest_age": max(0.0, float(oldest or 0.0)),
                    "sla": sla or 0,
                    "circuit_open": int(circuit in ("open", "half_open")),
                    "dead": dead,
                }
        return figures

    def _collect_queue_jobs(self):
        self.env.cr.execute(
            """SELECT channel, state, company_id, count(*) FROM queue_job
                WHERE state NOT IN ('done', 'cancelled') GROUP BY channel, state, company_id"""
        )
        return [
            ((channel, state, company_id or ""), count)
            for channel, state, company_id, count in self.env.cr.fetchall()
        ]

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
