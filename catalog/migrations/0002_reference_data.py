from django.db import migrations

from catalog.reference_data import load_sectors_and_certifications


def load(apps, schema_editor):
    load_sectors_and_certifications(apps.get_model("catalog", "Sector"), apps.get_model("catalog", "Certification"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
