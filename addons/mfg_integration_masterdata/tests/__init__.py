from . import test_items
