from . import test_pull
from . import test_faults
from . import test_files
from . import test_recon
