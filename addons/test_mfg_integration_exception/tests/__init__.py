from . import test_create_mapping
from . import test_exception_sources
from . import test_inbound_exceptions
from . import test_ui
