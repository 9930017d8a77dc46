"""The command layer was part of ``mfg_integration_api`` before it became an
addon of its own: on a database where that addon is installed, what it
created for the command layer (models, fields, access rules, the batch
job's channel, settings and views) changes owner instead of being created
twice and deleted once."""

from odoo.tools import SQL

PREVIOUS_OWNER = "mfg_integration_api"
OWNER = "mfg_integration_command"


def pre_init_hook(env):
    cr = env.cr
    cr.execute("SELECT state FROM ir_module_module WHERE name = %s", [PREVIOUS_OWNER])
    row = cr.fetchone()
    if not row or row[0] not in ("installed", "to upgrade"):
        return
    # the REST addon declares its own records again when it is updated
    cr.execute(
        SQL(
            "UPDATE ir_model_data SET module = %s WHERE module = %s",
            OWNER,
            PREVIOUS_OWNER,
        )
    )
    for table in ("ir_model_constraint", "ir_model_relation"):
        cr.execute(
            SQL(
                """UPDATE %s SET module = (SELECT id FROM ir_module_module WHERE name = %s)
                    WHERE module = (SELECT id FROM ir_module_module WHERE name = %s)""",
                SQL.identifier(table),
                OWNER,
                PREVIOUS_OWNER,
            )
        )
