# one file per business flow: its schemas, command declarations and handlers
from . import common
from . import production
from . import work_orders
from . import stock
from . import purchasing
from . import quality
from . import shipping

# the flows whose commands the addon declares (models/mfg_integration_command.py)
FLOWS = (production, work_orders, stock, purchasing, quality, shipping)
