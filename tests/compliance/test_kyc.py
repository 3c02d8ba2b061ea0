import pytest
from rest_framework.test import APIClient

from accounts.models import Account
from compliance.models import KycChange
from compliance.services import account_kyc_set
from kernel.errors import ServiceError
from tests.compliance.conftest import compliance_events
from tests.conftest import token_for
from tests.event_shapes import assert_event_shape

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def url(account_id: str) -> str:
    return f"/v1/compliance/accounts/{account_id}/kyc"


def test_an_officer_sets_kyc_and_it_is_announced_and_recorded(officer, trader):
    response = client_for(officer).post(url(trader.account.id), {"status": "approved", "tier": "tier_2"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"account_id": trader.account.id, "kyc_status": "approved", "kyc_tier": "tier_2"}
    (event,) = compliance_events("kyc_status_changed")
    assert_event_shape(event)
    assert event["account_id"] == trader.account.id
    assert (event["new_status"], event["previous_status"], event["kyc_tier"]) == ("approved", "pending_review", "tier_2")
    change = KycChange.objects.get()
    assert (change.actor, change.previous_tier, change.new_tier) == (officer, "tier_0", "tier_2")


def test_setting_the_same_kyc_again_changes_and_announces_nothing(officer, trader):
    body = {"status": "pending_review", "tier": "tier_0"}
    assert client_for(officer).post(url(trader.account.id), body, format="json").status_code == 200
    assert compliance_events() == [] and KycChange.objects.count() == 0


def test_administrators_may_set_kyc(administrator, trader):
    response = client_for(administrator).post(url(trader.account.id), {"status": "suspended", "tier": "tier_1"}, format="json")
    assert response.status_code == 200


def test_a_trader_may_not_set_kyc(trader, other_trader):
    for account_id in (trader.account.id, other_trader.account.id):
        response = client_for(trader).post(url(account_id), {"status": "approved", "tier": "tier_3"}, format="json")
        assert response.status_code == 403
    assert Account.objects.get(pk=trader.account.id).kyc_tier == "tier_0" and compliance_events() == []


def test_anonymous_is_refused(trader):
    assert APIClient().post(url(trader.account.id), {"status": "approved", "tier": "tier_1"}, format="json").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"status": "great", "tier": "tier_1"},
        {"status": "approved", "tier": "tier_9"},
        {"status": "approved"},
        {"tier": "tier_1"},
        {"status": 1, "tier": ["tier_1"]},
        {"status": "approved", "tier": "tier_1", "reason": "x" * 2001},
    ],
)
def test_bad_input_is_400_with_reasons(officer, trader, body):
    response = client_for(officer).post(url(trader.account.id), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR" and response.json()["errors"]
    assert compliance_events() == []


def test_an_unknown_account_is_404(officer):
    response = client_for(officer).post(url("acc_0000000000000000"), {"status": "approved", "tier": "tier_1"}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "ACCOUNT_NOT_FOUND"


@pytest.mark.parametrize(
    "status, tier, code",
    [("great", "tier_1", "INVALID_KYC_STATUS"), ("approved", "tier_9", "INVALID_KYC_TIER")],
)
def test_the_service_refuses_unknown_values_itself(officer, trader, status, tier, code):
    with pytest.raises(ServiceError) as error:
        account_kyc_set(account_id=trader.account.id, status=status, tier=tier, actor=officer)
    assert error.value.code == code
    assert KycChange.objects.count() == 0 and compliance_events() == []


def test_not_json_is_400(officer, trader):
    response = client_for(officer).post(url(trader.account.id), "{", content_type="application/json")
    assert response.status_code == 400
