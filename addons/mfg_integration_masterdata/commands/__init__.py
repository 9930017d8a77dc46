# one file per kind of master data: its schemas, command declarations and handlers
from . import common
from . import items
from . import boms
from . import workcenters
from . import supplier_terms
from . import loads

# the flows whose commands the addon declares (models/mfg_integration_command.py)
FLOWS = (items, boms, workcenters, supplier_terms, loads)
