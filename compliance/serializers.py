from rest_framework import serializers

from accounts.models import KycStatus, KycTier


class KycSetSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=KycStatus.values)
    tier = serializers.ChoiceField(choices=KycTier.values)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class KycStateSerializer(serializers.Serializer):
    account_id = serializers.CharField(source="id")
    kyc_status = serializers.CharField()
    kyc_tier = serializers.CharField()
