from . import exception
from . import incident
