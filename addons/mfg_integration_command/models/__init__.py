from . import command_pipeline
from . import idempotency
from . import api_request
from . import res_config_settings
from . import retention
from . import incident_sources
from . import telemetry
