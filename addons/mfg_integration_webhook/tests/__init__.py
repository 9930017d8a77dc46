from . import test_delivery
from . import test_outbox_concurrency
