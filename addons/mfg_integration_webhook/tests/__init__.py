from . import test_delivery
from . import test_outbox_concurrency
from . import test_retention
