from . import test_tracing
