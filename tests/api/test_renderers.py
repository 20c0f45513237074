"""The API's JSON (tradeon.api.renderers.JSONRenderer) is byte for byte what DRF's renderer writes."""

import datetime
import json
import uuid
from collections import OrderedDict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from tradeon.api.renderers import JSONRenderer

SEOUL = ZoneInfo("Asia/Seoul")

SAMPLES = {
    "korean and escapes": {"name_ko": '수분 크림 "특가"', "text": "tab\there\nline\\ \x01 é 😀 </script>"},
    "numbers": {"int": -(2**63), "big": 2**63 - 1, "float": 0.1, "score": 0.873412, "bool": True, "none": None},
    "times": {
        "utc": datetime.datetime(2026, 11, 22, 6, 40, 29, 954215, tzinfo=datetime.UTC),
        "seoul": datetime.datetime(2026, 11, 22, 15, 0, tzinfo=SEOUL),
        "naive": datetime.datetime(2026, 1, 2, 3, 4, 5),
        "date": datetime.date(2026, 11, 22),
        "time": datetime.time(9, 30, 0, 5),
        "duration": datetime.timedelta(minutes=30),
    },
    "django and drf types": {
        "decimal": Decimal("12.50"),
        "lazy": gettext_lazy("Buyer"),
        "uuid": uuid.UUID(int=7),
        "error": ErrorDetail("This field is required.", code="required"),
        "ordered": OrderedDict([("b", 1), ("a", 2)]),
        "return": ReturnDict({"x": ReturnList([1, 2], serializer=None)}, serializer=None),
        "keys": {1: "one", None: "none"},
        "tuple": (1, "two"),
        "set": [3],
    },
}


@pytest.mark.parametrize("data", SAMPLES.values(), ids=SAMPLES.keys())
def test_writes_what_drf_writes(data):
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def test_a_page_of_the_api_is_unchanged(buyer_client, db):
    from tests.factories import ProductFactory

    ProductFactory.create_batch(3)
    response = buyer_client.get("/api/v1/products/")
    assert response.content == renderers.JSONRenderer().render(response.data)


@pytest.mark.parametrize(
    "data",
    [{"line separator": "a\u2028b\u2029c"}, {"beyond 64 bits": 2**70}, {"negative beyond": -(2**64)}],
    ids=["u2028", "big int", "negative big int"],
)
def test_what_orjson_writes_otherwise_is_left_to_drf(data):
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def test_floats_in_exponent_notation_are_the_same_numbers():
    # The one difference in the text: Python writes 1e-07 and 1.5e+300, orjson 1e-7 and 1.5e300.
    data = {"tiny": 1e-7, "huge": 1.5e300, "scores": [3.2e-05, 0.5]}
    assert json.loads(JSONRenderer().render(data)) == json.loads(renderers.JSONRenderer().render(data)) == data


def test_indented_json_is_drfs():
    data = {"a": [1, {"b": "c"}]}
    media_type = "application/json; indent=4"
    assert JSONRenderer().render(data, media_type) == renderers.JSONRenderer().render(data, media_type)
    assert b"\n    " in JSONRenderer().render(data, media_type)


def test_nothing_is_an_empty_body():
    assert JSONRenderer().render(None) == b""
