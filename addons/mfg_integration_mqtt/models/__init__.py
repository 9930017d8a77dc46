# one file per model
from . import broker
from . import subscription
from . import cursor
from . import refused_message
from . import incident_sources
from . import retention
from . import telemetry
