from . import test_trace_hops
