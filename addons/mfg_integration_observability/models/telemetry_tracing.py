"""The telemetry service's spans, traced with OpenTelemetry when configured."""

from contextlib import contextmanager

from odoo import api, models

from .. import tracing

SPAN_KINDS = ("server", "client", "producer", "consumer", "internal")


class TracedSpan:
    """What ``_span`` yields when tracing is on: the OpenTelemetry span, and
    the ``traceparent`` that names it (the value to send on or store)."""

    def __init__(self, span):
        self.span = span
        self.traceparent = tracing.traceparent_of(span.get_span_context())

    def set_attribute(self, key, value):
        if value is not None:  # OpenTelemetry refuses None values
            self.span.set_attribute(key, value)

    def set_error(self, description):
        from opentelemetry.trace import Status, StatusCode

        self.span.set_status(Status(StatusCode.ERROR, description))


def _parent_of(traceparent):
    """(parent context, links) of a span that continues ``traceparent``.

    The current span is the parent when nothing is given, or when it already
    belongs to the trace given (it is the nearer ancestor: a drain job's span
    for the delivery of an event of its own trace). A ``traceparent`` of
    another trace is the parent, linked to the current span: the delivery of an
    event that another request emitted stays in that request's trace.
    """
    from opentelemetry import trace
    from opentelemetry.trace import Link, NonRecordingSpan

    remote = tracing.span_context_of(traceparent)
    current = trace.get_current_span().get_span_context()
    if remote is None or (current.is_valid and current.trace_id == remote.trace_id):
        return None, ()
    links = (Link(current),) if current.is_valid else ()
    return trace.set_span_in_context(NonRecordingSpan(remote)), links


class MfgIntegrationTelemetry(models.AbstractModel):
    _inherit = "mfg.integration.telemetry"

    @api.model
    @contextmanager
    def _span(self, name, kind="internal", traceparent=None, attributes=None, current=True):
        """Trace the ``with`` block as an OpenTelemetry span when tracing is on
        (see ``tracing``); otherwise as core does (nothing)."""
        tracer = tracing.tracer()
        if tracer is None:
            with super()._span(
                name, kind=kind, traceparent=traceparent, attributes=attributes, current=current
            ) as span:
                yield span
            return
        from opentelemetry import context, trace
        from opentelemetry.trace import SpanKind

        if kind not in SPAN_KINDS:
            raise ValueError(f"Span kind {kind!r} is none of {', '.join(SPAN_KINDS)}.")
        parent, links = _parent_of(traceparent)
        span = tracer.start_span(
            name,
            context=parent,
            kind=SpanKind[kind.upper()],
            attributes={
                key: value for key, value in (attributes or {}).items() if value is not None
            },
            links=links,
        )
        token = context.attach(trace.set_span_in_context(span)) if current else None
        try:
            yield TracedSpan(span)
        except Exception as error:
            span.record_exception(error)
            TracedSpan(span).set_error(f"{type(error).__name__}: {error}")
            raise
        finally:
            if token is not None:
                context.detach(token)
            span.end()
