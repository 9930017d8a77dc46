from . import test_exceptions
from . import test_exception_patterns
from . import test_inbound_exceptions
from . import test_minimal_database
from . import test_patterns
from . import test_resolving
from . import test_retention
from . import test_ui
