"""Names of the matcher's signals as people read them (light: used by pages without loading
the scientific stack)."""

SIGNAL_LABELS: dict[str, tuple[str, str]] = {
    "text": ("Text", "텍스트"),
    "hs": ("HS code", "HS 코드"),
    "sector": ("Sector", "산업 분야"),
    "market": ("Market fit", "시장 적합성"),
    "certification": ("Certifications", "인증"),
    "scale": ("Scale fit", "거래 규모"),
    "verification": ("Verified buyer", "검증된 바이어"),
}


def signal_label(name: str, language: str) -> str:
    english, korean = SIGNAL_LABELS.get(name, (name, name))
    return korean if language.startswith("ko") else english
