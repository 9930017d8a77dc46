"""What an integrator would write with OCA's REST stack: an API key (the
fastapi_auth_api_key dependency), a pydantic body, Odoo ids the client knows,
and the same Odoo operation that the suite's route and JSON-RPC call."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from odoo.api import Environment

from odoo.addons.fastapi_auth_api_key.dependencies import (
    authenticated_env_by_auth_api_key,
)

router = APIRouter(tags=["benchmark"])

AuthenticatedEnv = Annotated[Environment, Depends(authenticated_env_by_auth_api_key)]


class Echo(BaseModel):
    n: int


class EchoAnswer(BaseModel):
    ok: bool
    echo: Echo


@router.post("/echo")
def echo(body: Echo, env: AuthenticatedEnv) -> EchoAnswer:
    """The trivial authenticated action of bench/echo: the same JSON back."""
    return EchoAnswer(ok=True, echo=body)


class Confirmation(BaseModel):
    produced_quantity: float
    final: bool = True
    lot: str | None = None


class ConfirmationAnswer(BaseModel):
    id: int
    state: str
    lot: str | None = None


@router.post("/production-orders/{production_id}/confirmations")
def confirm_production(
    production_id: int, body: Confirmation, env: AuthenticatedEnv
) -> ConfirmationAnswer:
    """A final confirmation: the finished lot (when given) on the order, then
    button_mark_done, as the JSON-RPC client does in its calls."""
    production = env["mrp.production"].browse(production_id).exists()
    if not production:
        raise HTTPException(status_code=404, detail="No such production order")
    if not body.final:
        raise HTTPException(status_code=422, detail="Only final confirmations here")
    if body.lot:
        production.lot_producing_id = env["stock.lot"].create(
            {
                "name": body.lot,
                "product_id": production.product_id.id,
                "company_id": production.company_id.id,
            }
        )
    production.button_mark_done()
    return ConfirmationAnswer(
        id=production.id,
        state=production.state,
        lot=production.lot_producing_id.name or None,
    )
