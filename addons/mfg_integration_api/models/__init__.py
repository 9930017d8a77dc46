from . import api_context
from . import api_service
from . import idempotency
from . import api_request
from . import openapi
from . import res_config_settings
from . import retention
from . import ir_http
