from django.db import migrations
from django.utils import timezone

from compliance.defaults import defaults_create

HISTORY_FIELDS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}


def create_defaults(apps, schema_editor):
    """The defaults added since 0002 (spoofing, layering); existing rows are left as tuned."""
    defaults_create(
        rule_model=apps.get_model("compliance", "SurveillanceRule"),
        sla_model=apps.get_model("compliance", "SeveritySla"),
        tier_limit_model=apps.get_model("compliance", "KycTierLimit"),
    )


def record_baselines(apps, schema_editor):
    """Each configuration row's values when its history starts, so its first change has a before."""
    now = timezone.now()
    for app_label, model_name in [
        ("compliance", "SurveillanceRule"), ("compliance", "SeveritySla"), ("compliance", "KycTierLimit"),
        ("accounts", "Account"),
    ]:
        model = apps.get_model(app_label, model_name)
        history = apps.get_model("compliance", f"Historical{model_name}")
        copied = [f.attname for f in history._meta.concrete_fields if f.name not in HISTORY_FIELDS]
        history.objects.bulk_create(
            history(**{name: getattr(row, name) for name in copied}, history_date=now, history_type="+",
                    history_change_reason="history started")
            for row in model.objects.all()
        )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_cases_approvals_sars_history"), ("accounts", "0003_apikey")]

    operations = [
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
        migrations.RunPython(record_baselines, migrations.RunPython.noop),
    ]
