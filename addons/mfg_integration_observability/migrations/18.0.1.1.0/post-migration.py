from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The connected systems' hourly rows count their inbound messages only, and
    unknown callers' refusals have rows of their own: recompute the hours whose
    raw log is still kept, drop the outbound system rows of the older ones."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    Stat = env["mfg.integration.hourly.stat"]
    cr.execute("SELECT DISTINCT hour FROM mfg_integration_hourly_stat WHERE scope = 'system'")
    hours = Stat._keep_recomputable({row[0] for row in cr.fetchall()}, "log_retention_days", 30)
    Stat._roll_up_log(sorted(hours))
    cr.execute(
        "DELETE FROM mfg_integration_hourly_stat WHERE scope = 'system' AND direction = 'outbound'"
    )
