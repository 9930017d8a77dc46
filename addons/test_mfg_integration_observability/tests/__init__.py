from . import test_trace_hops
from . import test_requests_per_company
