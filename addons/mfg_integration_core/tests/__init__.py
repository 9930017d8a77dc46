from . import test_mapping_engine
from . import test_constraints
from . import test_security
from . import test_message_log
from . import test_ui
from . import test_links
from . import test_retention
from . import test_write_locks
