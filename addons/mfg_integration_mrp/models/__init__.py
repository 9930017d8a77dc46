from . import production_variance
from . import stock
from . import mrp_production
from . import purchase_order
from . import res_config_settings
from . import outbound
from . import incident_sources
from . import stock_writers
