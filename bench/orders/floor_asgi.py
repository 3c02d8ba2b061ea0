"""The project's ASGI application with `POST /bench/floor` added (bench/orders/floor.py), for daphne."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cantondex.settings")

from django.conf import settings

settings.ROOT_URLCONF = "bench.orders.floor"

from cantondex.asgi import application  # noqa: E402, F401
