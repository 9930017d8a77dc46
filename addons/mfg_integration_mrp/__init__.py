# commands first: the models extend the command handlers (incident sources)
from . import commands
from . import models
