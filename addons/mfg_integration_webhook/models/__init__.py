from . import endpoint
from . import delivery
from . import event
from . import retention
