from . import traced_command
