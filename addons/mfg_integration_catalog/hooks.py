def post_init_hook(env):
    """Catalogue the suite's own commands, event types, endpoints, sinks and
    queues at install: each business flow gets its interface."""
    env["mfg.integration.interface.member"]._sync_inventory()
