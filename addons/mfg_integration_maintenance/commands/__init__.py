# one file per business flow: its schemas, command declarations and handlers
from . import equipment

# the flows whose commands the addon declares (models/mfg_integration_command.py)
FLOWS = (equipment,)
