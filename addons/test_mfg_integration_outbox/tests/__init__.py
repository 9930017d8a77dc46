from . import test_outbox
from . import test_emit_schema
from . import test_drain_conflict
