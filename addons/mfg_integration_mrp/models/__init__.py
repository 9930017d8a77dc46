from . import production_variance
from . import stock
from . import inbound
from . import routes
from . import res_config_settings
from . import outbound
from . import stock_writers
