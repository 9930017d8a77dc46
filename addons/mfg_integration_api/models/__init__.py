from . import api_service
from . import openapi
from . import ir_http
