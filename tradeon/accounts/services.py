"""Sign-up: an SME member arrives with a draft company, a buyer with a pending organisation."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from buyers.services import buyer_create
from catalog.services import company_create

from .models import Role, User


def _check_user(username: str, email: str, password: str) -> None:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "This username is taken; choose another."})
    if email and User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this email exists; sign in instead."})
    try:
        validate_password(password)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None


@transaction.atomic
def sme_sign_up(*, username: str, email: str, password: str, company: dict) -> User:
    _check_user(username, email, password)
    new_company = company_create(created_by=None, **company)
    user = User(username=username, email=email, role=Role.SME, company=new_company)
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def buyer_sign_up(*, username: str, email: str, password: str, organisation: dict) -> User:
    _check_user(username, email, password)
    new_buyer = buyer_create(**organisation)
    user = User(username=username, email=email, role=Role.BUYER, buyer_organisation=new_buyer)
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def staff_create(*, username: str, email: str, password: str, superuser: bool = False) -> User:
    user = User(username=username, email=email, role=Role.STAFF, is_staff=True, is_superuser=superuser)
    user.set_password(password)
    user.save()
    return user
