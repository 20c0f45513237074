"""Validators for catalogue data: Korean business registration numbers, HS codes, images,
languages and time zones. Used by models, forms, serializers and the importer alike."""

import functools
import re

from django.conf import settings
from django.conf.global_settings import LANGUAGES as ALL_LANGUAGES
from django.core.exceptions import ValidationError

BRN_PATTERN = re.compile(r"^\d{3}-?\d{2}-?\d{5}$")
_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
LANGUAGE_CODES = {code for code, _ in ALL_LANGUAGES if "-" not in code} | {"zh", "ms", "fil"}
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def normalise_business_registration_number(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if len(digits) == 10 else value


def brn_check_digit_ok(digits: str) -> bool:
    """The National Tax Service checksum over the 10 digits of a business registration number."""
    total = sum(int(d) * w for d, w in zip(digits[:9], _BRN_WEIGHTS, strict=True))
    total += (int(digits[8]) * 5) // 10
    return (10 - total % 10) % 10 == int(digits[9])


def validate_business_registration_number(value: str) -> None:
    if not BRN_PATTERN.match(value or ""):
        raise ValidationError(
            "Business registration number must be 10 digits, written 123-45-67890.", code="brn_format"
        )
    if not brn_check_digit_ok(re.sub(r"\D", "", value)):
        raise ValidationError(
            "Business registration number %(value)s fails its check digit; check it for a typo.",
            code="brn_checksum",
            params={"value": value},
        )


def validate_languages(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Languages must be a list of ISO 639-1 codes such as ['ko', 'en'].")
    unknown = [v for v in value if v not in LANGUAGE_CODES]
    if unknown:
        raise ValidationError(
            "Unknown language code(s): %(codes)s. Use ISO 639-1 codes such as ko, en, th.",
            params={"codes": ", ".join(unknown)},
        )


@functools.cache
def _time_zone_names() -> frozenset[str]:
    # available_timezones() walks the tz database on disk (~10 ms); a buyer import calls this per row.
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _time_zone_names():
        raise ValidationError(
            "%(value)s is not an IANA time zone; use a name like America/Los_Angeles.", params={"value": value}
        )


def validate_product_image(file) -> None:
    """Size first (cheap), then let Pillow decide what the file really is: the extension and
    the browser's content type are both under the uploader's control."""
    from PIL import Image, UnidentifiedImageError

    limit = settings.PRODUCT_IMAGE_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            "Image is %(size).1f MB; the limit is %(limit).1f MB.",
            params={"size": file.size / 1_048_576, "limit": limit / 1_048_576},
            code="image_too_large",
        )
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        with Image.open(file) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            "File is not a readable image; upload a JPEG, PNG or WebP.", code="image_invalid"
        ) from None
    finally:
        file.seek(position)
    if image_format not in IMAGE_FORMATS:
        raise ValidationError(
            "Images must be JPEG, PNG or WebP; this file is %(format)s.",
            params={"format": image_format},
            code="image_type",
        )
