from rest_framework import serializers

from kernel.errors import MoneyField


class BalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    total = MoneyField()
    available = MoneyField()
    reserved = MoneyField()


class AccountMeSerializer(serializers.Serializer):
    account_id = serializers.CharField(source="id")
    username = serializers.CharField(source="user.username")
    kyc_status = serializers.CharField()
    kyc_tier = serializers.CharField()
    balances = BalanceSerializer(many=True)
