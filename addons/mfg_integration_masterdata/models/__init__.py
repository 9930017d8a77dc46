# one file per model; helpers: events.py (emit)
from . import mfg_integration_command
from . import mfg_integration_incident
from . import mfg_integration_item_revision
from . import product_template
from . import mrp_bom
from . import mrp_workcenter
from . import product_supplierinfo
from . import mfg_integration_mapping_template
from . import mfg_integration_system
from . import mfg_integration_value_map
