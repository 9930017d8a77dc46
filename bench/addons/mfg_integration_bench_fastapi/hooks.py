def post_init_hook(env):
    """Register the app's routes now: an endpoint's routes are registered when
    it is synced, which creating it from data does not do."""
    env.ref("mfg_integration_bench_fastapi.endpoint_bench")._handle_registry_sync()
