from django.db import migrations

from catalog.reference_data import CERTIFICATIONS, SECTORS


def load(apps, schema_editor):
    Sector = apps.get_model("catalog", "Sector")
    Certification = apps.get_model("catalog", "Certification")
    for order, (code, name_en, name_ko, strategic) in enumerate(SECTORS):
        Sector.objects.update_or_create(
            code=code, defaults={"name_en": name_en, "name_ko": name_ko, "is_strategic": strategic, "display_order": order}
        )
    for code, name, description in CERTIFICATIONS:
        Certification.objects.update_or_create(code=code, defaults={"name": name, "description": description})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
