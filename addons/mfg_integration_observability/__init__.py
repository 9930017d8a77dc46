from . import models
from . import controllers


def post_load():
    """Choose where metrics are written before any worker forks: when the addon
    is loaded server-wide (``server_wide_modules``), this runs in the server's
    main process at its start; otherwise when a process first loads it."""
    from odoo.tools import config

    from . import metrics

    metrics.configure_from_server_config(config)
