from django.urls import path

from .views import console

urlpatterns = [path("console/", console, name="compliance_console")]
