from . import test_catalog
from . import test_coexistence
from . import test_versions
from . import test_api_v2
from . import test_changes
