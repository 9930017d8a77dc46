from . import endpoint
from . import delivery
from . import event
from . import incident_sources
from . import endpoint_secret_key
