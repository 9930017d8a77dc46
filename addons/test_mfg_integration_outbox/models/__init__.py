from . import recording_sink
from . import batch_sink
