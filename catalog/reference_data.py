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
