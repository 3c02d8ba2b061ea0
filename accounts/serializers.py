from django.utils import timezone
from rest_framework import serializers

from .models import ApiKey, ApiKeyScope


class ApiKeySerializer(serializers.ModelSerializer):
    api_key_id = serializers.CharField(source="id")

    class Meta:
        model = ApiKey
        fields = ["api_key_id", "label", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at"]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="`<api_key_id>.<secret>`: shown this once, never again")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class ApiKeyCreateSerializer(serializers.Serializer):
    scopes = serializers.MultipleChoiceField(choices=ApiKeyScope.choices, allow_empty=False)
    # The stubs see Field.label; the metaclass takes declared fields out of the class, so nothing is shadowed.
    label = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)  # type: ignore[assignment]
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Must be in the future.")
        return value
