from . import exception
from . import sources
from . import retention
