"""Double booking is refused by PostgreSQL: exclusion constraints say that no two booked meetings
(draft or scheduled) of the same SME, buyer, video room or interpreter overlap in time. Two
concurrent bookings cannot both commit; the loser gets an IntegrityError, which the API turns
into a 409.

SQLite (the embedded default) has no exclusion constraints; there the services' own overlap
check, inside the write transaction that SQLite serialises anyway, does the same job.
"""

from django.db import migrations

BOOKED = "status IN ('draft', 'scheduled')"
CONSTRAINTS = {
    "meeting_no_double_booking_company": ("company_id", BOOKED),
    "meeting_no_double_booking_buyer": ("buyer_id", BOOKED),
    "meeting_no_double_booking_room": ("room_id", f"{BOOKED} AND room_id IS NOT NULL"),
    "meeting_no_double_booking_interpreter": ("interpreter_id", f"{BOOKED} AND interpreter_id IS NOT NULL"),
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, (column, condition) in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE matching_meeting ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE ({condition}) "
            # Deferrable so that a swap of two meetings can be checked at commit, not mid-way.
            "DEFERRABLE INITIALLY IMMEDIATE"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE matching_meeting DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("matching", "0003_fairs")]
    operations = [migrations.RunPython(forwards, backwards)]
