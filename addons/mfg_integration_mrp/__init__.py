from . import models
from . import commands
