from . import test_database_outage
from . import test_retention
