from . import test_items
from . import test_boms
from . import test_workcenters_and_suppliers
from . import test_loads
from . import test_broker
from . import test_mapping_templates
from . import test_catalog
