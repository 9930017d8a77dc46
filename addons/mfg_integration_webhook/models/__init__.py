from . import endpoint
from . import delivery
from . import incident_sources
