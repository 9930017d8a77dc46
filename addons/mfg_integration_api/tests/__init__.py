from . import test_database_outage
from . import test_retention
from . import test_write_locks
