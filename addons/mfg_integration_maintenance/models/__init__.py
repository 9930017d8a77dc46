# one file per model
from . import mfg_integration_command
from . import mfg_integration_equipment_count
from . import mfg_integration_maintenance_rule
from . import maintenance_equipment
from . import maintenance_request
from . import mrp_workcenter
from . import mrp_workcenter_productivity
