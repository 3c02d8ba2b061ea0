from django.urls import path

from .views import account_investigation, console, console_row, dashboard

urlpatterns = [
    path("console/", console, name="compliance_console"),
    path("console/alerts/<str:alert_id>/", console_row, name="compliance_console_row"),
    path("accounts/<str:account_id>/", account_investigation, name="compliance_account"),
    path("dashboard/", dashboard, name="compliance_dashboard"),
]
