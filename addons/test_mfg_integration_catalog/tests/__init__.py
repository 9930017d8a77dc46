from . import test_catalog
from . import test_coexistence
from . import test_versions
