from django.urls import include, path
from rest_framework.routers import DefaultRouter

from buyers.api import BuyerViewSet, SourcingRequestViewSet
from catalog.api import CertificationViewSet, CompanyViewSet, HSCodeViewSet, ProductViewSet, SectorViewSet
from matching.api import MatchingRunViewSet, PairingViewSet
from matching.fairs.api import ROUTES as FAIR_ROUTES
from matching.pipeline.api import ROUTES as PIPELINE_ROUTES
from realtime.api import ROUTES as REALTIME_ROUTES
from tradeon.accounts.api import BuyerSignUpView, MeView, SMESignUpView, TokenView

router = DefaultRouter()
router.register("sectors", SectorViewSet, basename="sector")
router.register("certifications", CertificationViewSet, basename="certification")
router.register("hs-codes", HSCodeViewSet, basename="hscode")
router.register("companies", CompanyViewSet, basename="company")
router.register("products", ProductViewSet, basename="product")
router.register("buyers", BuyerViewSet, basename="buyer")
router.register("sourcing-requests", SourcingRequestViewSet, basename="sourcingrequest")
router.register("matches", PairingViewSet, basename="pairing")
router.register("matching-runs", MatchingRunViewSet, basename="matchingrun")
for prefix, viewset, basename in [*FAIR_ROUTES, *PIPELINE_ROUTES, *REALTIME_ROUTES]:
    router.register(prefix, viewset, basename=basename)

app_name = "api"
urlpatterns = [
    path("auth/me/", MeView.as_view(), name="me"),
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/register/sme/", SMESignUpView.as_view(), name="register-sme"),
    path("auth/register/buyer/", BuyerSignUpView.as_view(), name="register-buyer"),
    path("", include(router.urls)),
]
