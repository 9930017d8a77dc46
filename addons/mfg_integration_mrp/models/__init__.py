# one file per model; helpers: events.py (emit)
from . import mfg_integration_command
from . import mfg_integration_incident
from . import mfg_integration_mrp_inbound
from . import mfg_integration_production_variance
from . import mfg_integration_system
from . import mrp_production
from . import mrp_workorder
from . import purchase_order
from . import purchase_order_line
from . import res_config_settings
from . import stock_lot
from . import stock_move
from . import stock_move_line
from . import stock_picking
from . import stock_quant
