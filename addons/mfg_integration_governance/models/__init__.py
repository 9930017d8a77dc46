from . import audit_log
from . import scope
from . import api_client
from . import api_key
from . import auth
from . import core_audit
from . import res_config_settings
