# commands first: the models extend the command handlers
from . import commands
from . import models
