from . import test_publish
from . import test_consume
