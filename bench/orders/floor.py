"""The physical reference of a REST call here: the cheapest useful Django request, `POST /bench/floor`.

A bare DRF view behind the project's whole middleware stack: simplejwt's stock JWT authentication (one
read of the user), IsAuthenticated, no throttles, no serializer, one INSERT (an inert row of the job
lease table, named uniquely) in its own transaction, a two-field JSON answer. Whatever the order path
costs beyond this is the venue's own work. Served by `python -m bench.orders.cpu_profile --floor`
(in process) and by the URLconf below, which adds it to the project's own.
"""

import itertools
import os
from datetime import timedelta

from django.db import transaction
from django.urls import include, path
from django.utils import timezone
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from kernel.models import Lease

_numbers = itertools.count()


class FloorApi(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes: list = []

    def post(self, request):
        name = f"bench-floor-{os.getpid()}-{next(_numbers)}"
        with transaction.atomic():
            Lease.objects.create(name=name, holder=str(request.user.pk), expires_at=timezone.now() - timedelta(days=1))
        return Response({"name": name, "user": request.user.pk}, status=201)


urlpatterns = [path("bench/floor", FloorApi.as_view()), path("", include("cantondex.urls"))]
