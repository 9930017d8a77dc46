from . import queue_job
from . import telemetry_tracing
