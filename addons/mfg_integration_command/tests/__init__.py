from . import test_retention
