from django.db import migrations

SERVICES = ("matching_engine", "settlement_service", "compliance_service", "market_data", "websocket_gateway")


def service_rows_create(apps, schema_editor):
    ServiceStatus = apps.get_model("operations", "ServiceStatus")
    ServiceStatus.objects.bulk_create([ServiceStatus(service=name) for name in SERVICES], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("operations", "0001_initial")]

    operations = [migrations.RunPython(service_rows_create, migrations.RunPython.noop)]
