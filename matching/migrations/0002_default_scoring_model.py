from django.db import migrations

# The documented defaults at the time (docs/matching.md), frozen here.
DEFAULT_WEIGHTS = {"text": 0.30, "hs": 0.25, "sector": 0.10, "market": 0.15, "certification": 0.10, "scale": 0.05, "verification": 0.05}


def create(apps, schema_editor):
    ScoringModel = apps.get_model("matching", "ScoringModel")
    ScoringModel.objects.get_or_create(
        version=1, defaults={"source": "default", "weights": DEFAULT_WEIGHTS, "is_active": True}
    )


class Migration(migrations.Migration):
    dependencies = [("matching", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
