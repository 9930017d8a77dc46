from . import test_api_framework
from . import test_production_routes
from . import test_stock_routes
from . import test_outbound_events
from . import test_security_matrix
from . import test_incident_sources
from . import test_refused_credentials
