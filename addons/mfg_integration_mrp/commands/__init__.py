# one file per business flow: its schemas, commands, routes and handlers
from . import common
from . import production
from . import work_orders
from . import stock
from . import purchasing
from . import quality
from . import shipping
