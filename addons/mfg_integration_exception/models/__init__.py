from . import exception
from . import incident
from . import retention
from . import telemetry
