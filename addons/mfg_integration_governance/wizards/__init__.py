from . import api_key_reveal
