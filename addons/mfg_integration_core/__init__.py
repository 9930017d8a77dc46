from . import exceptions
from . import secrets_at_rest
from . import models
