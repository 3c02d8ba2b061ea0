"""The Python SDK's REST order helpers against real daphne: client_order_id retries, lookup by client id,
cancel-all and the dead-man's switch."""

from decimal import Decimal

import pytest
from cantondex_client.rest import ApiError, Rest

from tests.conftest import token_for
from tests.e2e.conftest import make_trader  # noqa: F401  (fixture)
from tests.e2e.server import daphne, daphne_servers  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def test_place_an_order_twice_by_client_id_find_it_and_cancel_everything(daphne, make_trader):
    user = await make_trader()
    token = token_for(user)

    async def authorization() -> str:
        return f"Bearer {token}"

    rest = Rest(daphne.base_url, authorization)

    async def place() -> dict:
        return await rest.place_order(
            symbol="AAPL/USDC", side="buy", quantity=Decimal("2"), price=Decimal("1.5"), client_order_id="sdk-1", post_only=True
        )

    placed = await place()
    assert (placed["client_order_id"], placed["post_only"], placed["price"]) == ("sdk-1", True, Decimal("1.5"))
    assert await place() == placed
    assert await rest.get_order_by_client_id("sdk-1") == placed == await rest.get_order(placed["order_id"])
    with pytest.raises(ApiError) as refused:
        await rest.cancel_all_after(86401)
    assert refused.value.status == 400
    assert (await rest.cancel_all_after(60))["trigger_time"] is not None
    assert (await rest.cancel_all_after(0))["trigger_time"] is None
    assert await rest.cancel_all("AAPL/USDC") == {"cancelled": [placed["order_id"]], "count": 1}
