from django.urls import path

from .api import MaintenanceNoticeCancelApi, MaintenanceNoticeCreateApi, ServiceStatusApi, SystemStatusApi

urlpatterns = [
    path("system/status", SystemStatusApi.as_view(), name="system_status"),
    path("system/maintenance-notices", MaintenanceNoticeCreateApi.as_view(), name="maintenance_notice_create"),
    path(
        "system/maintenance-notices/<str:notice_id>/cancel",
        MaintenanceNoticeCancelApi.as_view(),
        name="maintenance_notice_cancel",
    ),
    path("system/services/<str:service>", ServiceStatusApi.as_view(), name="service_status"),
]
