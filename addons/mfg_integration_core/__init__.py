from . import exceptions
from . import models
