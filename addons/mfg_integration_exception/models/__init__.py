from . import exception
from . import exception_pattern
from . import incident
from . import retention
from . import telemetry
