"""Users and their role: an SME member, a buyer, or agency staff."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SME = "sme", _("SME member")
    BUYER = "buyer", _("Buyer")
    STAFF = "staff", _("Agency staff")


class TradeOnUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.STAFF)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. The role decides what they may see and do.

    The database enforces that an SME member belongs to exactly one company, a buyer to exactly
    one buyer organisation, and staff to neither, so no code path can create a half-made user.
    """

    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    company = models.ForeignKey(
        "catalog.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    buyer_organisation = models.ForeignKey(
        "buyers.BuyerOrganisation", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    preferred_language = models.CharField(_("preferred language"), max_length=8, default="en")

    objects = TradeOnUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_role_matches_affiliation",
                condition=(
                    Q(role=Role.SME, company__isnull=False, buyer_organisation__isnull=True)
                    | Q(role=Role.BUYER, company__isnull=True, buyer_organisation__isnull=False)
                    | Q(role=Role.STAFF, company__isnull=True, buyer_organisation__isnull=True)
                ),
            )
        ]

    @property
    def is_sme(self) -> bool:
        return self.role == Role.SME

    @property
    def is_buyer(self) -> bool:
        return self.role == Role.BUYER

    @property
    def is_agency_staff(self) -> bool:
        return self.role == Role.STAFF
