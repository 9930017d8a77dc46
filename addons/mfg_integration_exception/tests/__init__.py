from . import test_exceptions
from . import test_inbound_exceptions
from . import test_retention
