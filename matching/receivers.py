"""Profile and catalogue changes queue a debounced recompute of the changed party's pairings.

Signals (not calls from catalog/buyers services) keep the dependency one way: matching knows
about the catalogue and buyers, they do not know about matching.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from buyers.models import BuyerOrganisation, SourcingRequest
from catalog.models import Company, Product

from .tasks import schedule_recompute


@receiver([post_save, post_delete], sender=BuyerOrganisation, dispatch_uid="matching-buyer-changed")
def buyer_changed(sender, instance, **kwargs):
    schedule_recompute("buyer", instance.pk)


@receiver([post_save, post_delete], sender=SourcingRequest, dispatch_uid="matching-request-changed")
def sourcing_request_changed(sender, instance, **kwargs):
    schedule_recompute("buyer", instance.buyer_id)


@receiver([post_save, post_delete], sender=Company, dispatch_uid="matching-company-changed")
def company_changed(sender, instance, **kwargs):
    schedule_recompute("company", instance.pk)


@receiver([post_save, post_delete], sender=Product, dispatch_uid="matching-product-changed")
def product_changed(sender, instance, **kwargs):
    schedule_recompute("company", instance.company_id)


@receiver(m2m_changed, sender=Product.certifications.through, dispatch_uid="matching-product-certs")
@receiver(m2m_changed, sender=Company.certifications.through, dispatch_uid="matching-company-certs")
def certifications_changed(sender, instance, action, **kwargs):
    if action.startswith("post_"):
        schedule_recompute("company", instance.company_id if isinstance(instance, Product) else instance.pk)
