from . import exception
from . import sources
