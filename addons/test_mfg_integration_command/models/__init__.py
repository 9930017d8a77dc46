from . import echo
