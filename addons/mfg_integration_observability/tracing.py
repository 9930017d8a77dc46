"""OpenTelemetry tracing for this process, configured by the standard ``OTEL_*`` variables.

Tracing is off unless the environment asks for it: ``OTEL_TRACES_EXPORTER``
naming ``otlp`` (or ``console``), or an OTLP endpoint
(``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``);
``OTEL_SDK_DISABLED=true`` or ``OTEL_TRACES_EXPORTER=none`` turn it off. The
SDK reads the rest itself (``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_TRACES_SAMPLER``, ``OTEL_EXPORTER_OTLP_*_HEADERS``, ``OTEL_BSP_*``...).

The tracer provider is made lazily, once per process: Odoo's prefork server
forks its workers, and the batch processor's export thread does not survive a
fork. Spans are exported by that thread (OTLP over HTTP/protobuf), so a slow
or absent collector never blocks a request: the queue drops spans when full.
"""

import logging
import os
import threading

_logger = logging.getLogger(__name__)

# an unreachable collector must not keep a worker from exiting for long
DEFAULT_EXPORT_TIMEOUT_SECONDS = 2.0
DEFAULT_SERVICE_NAME = "odoo-mfg-integration"
SUPPORTED_EXPORTERS = ("otlp", "console")

_lock = threading.Lock()
_state = {"pid": None, "provider": None, "tracer": None, "forced": False}


def _truthy(value):
    return (value or "").strip().lower() == "true"


def configured_exporter(environ=None):
    """The exporter the environment asks for ("otlp", "console"), or None when
    tracing is off. Raises ValueError naming what it cannot use."""
    environ = os.environ if environ is None else environ
    if _truthy(environ.get("OTEL_SDK_DISABLED")):
        return None
    names = [
        name.strip().lower()
        for name in (environ.get("OTEL_TRACES_EXPORTER") or "").split(",")
        if name.strip()
    ]
    if not names:
        endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        return "otlp" if endpoint else None
    if names == ["none"]:
        return None
    unsupported = [name for name in names if name not in SUPPORTED_EXPORTERS]
    if unsupported or len(names) > 1:
        raise ValueError(
            f"OTEL_TRACES_EXPORTER={environ.get('OTEL_TRACES_EXPORTER')!r}: "
            f"name one of {', '.join(SUPPORTED_EXPORTERS)} or none."
        )
    protocol = (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    )
    if names[0] == "otlp" and protocol.strip().lower() != "http/protobuf":
        raise ValueError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}: only http/protobuf is supported "
            "(send to the collector's OTLP/HTTP port, usually 4318)."
        )
    return names[0]


def _span_exporter(name, environ):
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    timeout = None
    if not (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")
        or environ.get("OTEL_EXPORTER_OTLP_TIMEOUT")
    ):
        timeout = DEFAULT_EXPORT_TIMEOUT_SECONDS
    return OTLPSpanExporter(timeout=timeout)


def _build_provider(environ):
    try:
        name = configured_exporter(environ)
    except ValueError as error:
        _logger.error("Tracing is off: %s", error)
        return None
    if name is None:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # Resource.create() reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES;
    # what it is given wins over them, so the default name only goes where none is
    attributes = {"process.pid": os.getpid()}
    if not environ.get("OTEL_SERVICE_NAME") and "service.name=" not in environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    ):
        attributes["service.name"] = DEFAULT_SERVICE_NAME
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(_span_exporter(name, environ)))
    _logger.info("Tracing on: spans are exported with the %s exporter", name)
    return provider


def tracer():
    """This process's tracer, or None when tracing is off."""
    pid = os.getpid()
    if _state["pid"] == pid:
        return _state["tracer"]
    with _lock:
        if _state["pid"] != pid:
            # a provider inherited from the parent process is left alone: its
            # export thread did not come along, and the parent owns its queue
            provider = _state["provider"] if _state["forced"] else _build_provider(os.environ)
            _state.update(
                provider=provider,
                tracer=provider.get_tracer("odoo.addons.mfg_integration_observability")
                if provider
                else None,
                pid=pid,
            )
    return _state["tracer"]


def use_provider(provider):
    """Trace with ``provider`` in this process instead of the environment's
    (tests: an in-memory exporter); ``None`` goes back to the environment."""
    with _lock:
        _state.update(
            provider=provider,
            tracer=provider.get_tracer("odoo.addons.mfg_integration_observability")
            if provider
            else None,
            pid=os.getpid() if provider else None,
            forced=bool(provider),
        )


def provider():
    """The tracer provider of this process, or None (force_flush it in tests)."""
    tracer()
    return _state["provider"]


# ----------------------------------------------------------------------
# W3C trace context
# ----------------------------------------------------------------------
def span_context_of(traceparent):
    """The remote SpanContext a ``traceparent`` header names, or None when it is
    missing or malformed (the span then starts a trace of its own)."""
    if not traceparent:
        return None
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    context = TraceContextTextMapPropagator().extract({"traceparent": traceparent})
    span_context = trace.get_current_span(context).get_span_context()
    return span_context if span_context.is_valid else None


def traceparent_of(span_context):
    """The ``traceparent`` header value that names ``span_context``."""
    return (
        f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-"
        f"{int(span_context.trace_flags):02x}"
    )


def current_traceparent():
    """The ``traceparent`` of the current span, or None when none is current."""
    if _state["tracer"] is None and tracer() is None:
        return None
    from opentelemetry import trace

    span_context = trace.get_current_span().get_span_context()
    return traceparent_of(span_context) if span_context.is_valid else None


def current_job_function():
    """``model.method`` of the job whose span is the current one (the span the
    job runner's request opens, ``controllers/runjob.py``), or None."""
    if _state["tracer"] is None and tracer() is None:
        return None
    from opentelemetry import trace

    attributes = getattr(trace.get_current_span(), "attributes", None) or {}
    if attributes.get("messaging.system") != "queue_job":
        return None
    return attributes.get("code.function")
