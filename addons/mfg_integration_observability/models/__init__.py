from . import queue_job
from . import telemetry_tracing
from . import hourly_stat
from . import anomaly
from . import congestion
from . import health_dashboard
