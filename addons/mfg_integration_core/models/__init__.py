from . import integration_system
from . import object_type
from . import xref
from . import value_map
from . import mapping
from . import message_log
from . import res_config_settings
from . import event
