"""Serializer fields shared by the apps' APIs."""

from django_countries.serializer_fields import CountryField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Certification, HSCode


@extend_schema_field(OpenApiTypes.STR)
class HSSubheadingField(serializers.RelatedField):
    """A product's HS code: exactly 6 digits and present in the nomenclature."""

    default_error_messages = {
        "format": "HS code must be 6 digits (a subheading such as 330499); got {value!r}.",
        "missing": "HS code {value} is not in the HS nomenclature; search /api/v1/hs-codes/ for the right one.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", HSCode.objects.filter(level=6))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = str(data).strip().replace(".", "")
        if len(value) != 6 or not value.isdigit():
            self.fail("format", value=data)
        try:
            return self.get_queryset().get(code=value)
        except HSCode.DoesNotExist:
            self.fail("missing", value=value)

    def to_representation(self, value):
        return value.pk


@extend_schema_field(OpenApiTypes.STR)
class HSCodeOfInterestField(HSSubheadingField):
    """An HS code at any level (chapter, heading or subheading): what buyers are interested in."""

    default_error_messages = {
        "format": "HS code must be 2, 4 or 6 digits; got {value!r}.",
        "missing": "HS code {value} is not in the HS nomenclature.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", HSCode.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = str(data).strip().replace(".", "")
        if len(value) not in (2, 4, 6) or not value.isdigit():
            self.fail("format", value=data)
        try:
            return self.get_queryset().get(code=value)
        except HSCode.DoesNotExist:
            self.fail("missing", value=value)


class CertificationCodeField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": "Unknown certification {value}; see the list of certification codes in the API docs.",
        "invalid": "Certification must be a code such as fda, ce, halal.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Certification.objects.all())
        super().__init__(slug_field="code", **kwargs)


class CountryListField(serializers.ListField):
    child = CountryField()
