from . import test_pipeline
from . import test_schema_checks
