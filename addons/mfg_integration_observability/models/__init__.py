from . import queue_job
from . import telemetry_tracing
from . import telemetry_metrics
from . import ir_http
from . import res_config_settings
