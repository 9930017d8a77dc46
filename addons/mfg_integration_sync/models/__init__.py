from . import sync_job
from . import sync_run
from . import sync_state
from . import sync_issue
from . import incident_sources
from . import recon
from . import recon_line
