from . import hourly_stat
from . import anomaly
from . import congestion
from . import health_dashboard
