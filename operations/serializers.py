from rest_framework import serializers

from kernel.errors import TextField

from .models import HealthStatus, Service
from .selectors import MAINTENANCE

# What a service or the whole system reports: its health, or under maintenance (named in the schema).
SERVICE_STATES = [*HealthStatus.values, MAINTENANCE]


class MaintenanceNoticeInputSerializer(serializers.Serializer):
    service = serializers.ChoiceField(choices=Service.values)
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField()
    description = TextField(max_length=500)


class MaintenanceNoticeSerializer(serializers.Serializer):
    notice_id = serializers.CharField(source="id")
    service = serializers.CharField()
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField()
    description = serializers.CharField()
    state = serializers.CharField()
    author = serializers.CharField(source="author.username", default=None)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ServiceStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=HealthStatus.values)
    message = TextField(max_length=500, allow_blank=True, default="")


class ServiceViewSerializer(serializers.Serializer):
    service = serializers.CharField()
    status = serializers.ChoiceField(choices=SERVICE_STATES)
    message = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    maintenance_notice_id = serializers.CharField(source="notice.id", default=None, allow_null=True)


class SystemStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SERVICE_STATES)
    all_services_healthy = serializers.BooleanField()
    timestamp = serializers.DateTimeField(source="as_of")
    services = ServiceViewSerializer(many=True)
    maintenance_notices = MaintenanceNoticeSerializer(source="notices", many=True)
