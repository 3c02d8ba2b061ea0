from django.db import migrations

from compliance.defaults import defaults_create


def create_defaults(apps, schema_editor):
    """The defaults added since 0002 (spoofing, layering); existing rows are left as tuned."""
    defaults_create(
        rule_model=apps.get_model("compliance", "SurveillanceRule"),
        sla_model=apps.get_model("compliance", "SeveritySla"),
        tier_limit_model=apps.get_model("compliance", "KycTierLimit"),
    )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_cases_approvals_sars_history")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
