from . import test_items
from . import test_boms
