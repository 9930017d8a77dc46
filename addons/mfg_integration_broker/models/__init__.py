from . import connection
from . import sink
from . import delivery
from . import command_queue
from . import dead_message
from . import retention
from . import telemetry
