from . import test_database_outage
