from . import test_delivery
from . import test_outbox_concurrency
from . import test_incident_sources
from . import test_secret_key_change
from . import test_retention
