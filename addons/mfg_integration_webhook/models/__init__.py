from . import endpoint
from . import delivery
