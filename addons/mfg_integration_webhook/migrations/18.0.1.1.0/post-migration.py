from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The outbox's watchdog (core) now watches every sink kind, webhooks included."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("mfg_integration_webhook.ir_cron_webhook_watchdog", raise_if_not_found=False)
    if cron:
        cron.unlink()
