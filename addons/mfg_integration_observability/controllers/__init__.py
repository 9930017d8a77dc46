from . import runjob
from . import metrics
