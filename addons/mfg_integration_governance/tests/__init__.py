from . import test_keys_and_auth
from . import test_approval_and_audit
from . import test_rate_limit
from . import test_ui
from . import test_client_change
from . import test_refused_credentials
from . import test_retention
