from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaffRole

from .models import Service
from .selectors import system_overview
from .serializers import (
    MaintenanceNoticeInputSerializer,
    MaintenanceNoticeSerializer,
    ServiceStatusInputSerializer,
    ServiceViewSerializer,
    SystemStatusSerializer,
)
from .services import maintenance_notice_cancel, maintenance_notice_post, service_status_set


class SystemStatusApi(APIView):
    # Public: the status page reads it for visitors who are not logged in.
    permission_classes = [AllowAny]

    @extend_schema(responses=SystemStatusSerializer, summary="Overall status, every service, active and upcoming maintenance")
    def get(self, request):
        return Response(SystemStatusSerializer(system_overview()).data)


class MaintenanceNoticeCreateApi(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        request=MaintenanceNoticeInputSerializer,
        responses={201: MaintenanceNoticeSerializer},
        summary="Post a maintenance notice (broadcast at once as maintenance_notice)",
    )
    def post(self, request):
        serializer = MaintenanceNoticeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = maintenance_notice_post(author=request.user, **serializer.validated_data)
        return Response(MaintenanceNoticeSerializer(notice).data, status=status.HTTP_201_CREATED)


class MaintenanceNoticeCancelApi(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(request=None, responses=MaintenanceNoticeSerializer, summary="Cancel a scheduled or active notice")
    def post(self, request, notice_id: str):
        notice = maintenance_notice_cancel(notice_id=notice_id)
        return Response(MaintenanceNoticeSerializer(notice).data)


class ServiceStatusApi(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        request=ServiceStatusInputSerializer,
        responses=ServiceViewSerializer,
        summary="Set a service's status (broadcast as service_degraded and system_status)",
        parameters=[OpenApiParameter("service", str, OpenApiParameter.PATH, enum=Service.values)],
    )
    def put(self, request, service: str):
        serializer = ServiceStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service_status_set(service=service, **serializer.validated_data)
        return Response(ServiceViewSerializer(system_overview().service(service)).data)
