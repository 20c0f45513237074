import pytest

from catalog.models import HSCode, Sector


@pytest.mark.django_db
def test_reference_data_is_loaded_by_migrations():
    assert Sector.objects.filter(is_strategic=True).count() == 5
    assert Sector.objects.filter(code="other").exists()
    assert HSCode.objects.get(code="330499").parent_id == "3304"
    assert HSCode.objects.filter(level=6).count() > 5000
