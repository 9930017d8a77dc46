from . import http_adapter
from . import models
from . import controllers
