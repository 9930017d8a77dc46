from . import test_tracing
from . import test_metrics
from . import test_metrics_files
from . import test_metrics_endpoint
from . import test_rollup
from . import test_dashboard
from . import test_warnings
from . import test_ui
