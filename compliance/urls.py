from django.urls import path

from .api import AccountKycApi

urlpatterns = [
    path("compliance/accounts/<str:account_id>/kyc", AccountKycApi.as_view(), name="compliance_account_kyc"),
]
