from . import close_exception
from . import create_mapping
