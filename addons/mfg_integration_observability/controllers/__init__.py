from . import runjob
