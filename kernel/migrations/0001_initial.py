from django.db import migrations, models


def create_lease_table_unless_present(apps, schema_editor):
    # Databases made before the kernel app existed already have this table (from the project package's
    # own migration): adopt it instead of failing on CREATE TABLE.
    lease = apps.get_model("kernel", "Lease")
    if lease._meta.db_table not in schema_editor.connection.introspection.table_names():
        schema_editor.create_model(lease)


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Lease",
                    fields=[
                        ("name", models.CharField(max_length=50, primary_key=True, serialize=False)),
                        ("holder", models.CharField(max_length=64)),
                        ("expires_at", models.DateTimeField()),
                    ],
                    options={"db_table": "cantondex_lease"},
                ),
            ],
        ),
        migrations.RunPython(create_lease_table_unless_present, migrations.RunPython.noop),
    ]
