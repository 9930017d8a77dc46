from . import interface
from . import interface_member
from . import api_version
from . import shadow_run
from . import command_pipeline
from . import message_log
from . import telemetry
from . import interface_rollback
