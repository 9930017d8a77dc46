from odoo.tests import new_test_user

from odoo.addons.mfg_integration_core.tests.common import MappingCase

MANAGER = "base.group_user,mfg_integration_core.group_integration_manager"
PLANNER = "base.group_user,mfg_integration_core.group_integration_user"


class GovernanceCase(MappingCase):
    """Two managers (requester and approver), a planner, and approved clients."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.requester = new_test_user(cls.env, login="requester", groups=MANAGER)
        cls.approver = new_test_user(cls.env, login="approver", groups=MANAGER)
        cls.planner = new_test_user(cls.env, login="planner_g", groups=PLANNER)
        cls.Auth = cls.env["mfg.integration.auth"]
        # governance ships only its own scopes: the business ones are the tests' own
        Scope = cls.env["mfg.integration.scope"]
        cls.scope_prod_write = Scope.create({"code": "things:write", "name": "Record things"})
        cls.scope_hold = Scope.create({"code": "things:hold", "name": "Hold things"})
        cls.scope_mapping_read = cls.env.ref("mfg_integration_governance.scope_mapping_read")

    @classmethod
    def _client(cls, name="MES client", **values):
        return (
            cls.env["mfg.integration.client"]
            .with_user(cls.requester)
            .create(
                {
                    "name": name,
                    "system_id": cls.mes.id,
                    "scope_ids": [(6, 0, (cls.scope_prod_write | cls.scope_mapping_read).ids)],
                    **values,
                }
            )
        )

    @classmethod
    def _approved_client_with_key(cls, name="MES client", **values):
        """Return (client, key record, key in clear)."""
        client = cls._client(name, **values)
        client.action_submit()
        client.with_user(cls.approver).action_approve()
        action = client.with_user(cls.approver).action_issue_key()
        key = cls.env["mfg.integration.api.key"].browse(action["context"]["default_key_id"])
        return client.with_user(cls.env.user), key, action["context"]["mfg_api_key_secret"]
