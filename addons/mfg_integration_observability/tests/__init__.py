from . import test_tracing
from . import test_metrics
from . import test_metrics_files
from . import test_metrics_endpoint
