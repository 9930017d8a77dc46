from . import replay
