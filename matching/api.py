"""REST API of matching: pairings with their reasons, staff pin/exclude, recomputes. The fairs' own
endpoints (including their proposals' recompute and decisions) are in matching/fairs/api/."""

from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tradeon.api.permissions import IsAgencyStaff

from . import selectors, services, tasks
from .models import MatchingRun, PairDecision, Pairing


class PairingSerializer(serializers.ModelSerializer):
    company = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()
    fair = serializers.IntegerField(source="run.fair_id", read_only=True)
    explanation = serializers.SerializerMethodField()

    class Meta:
        model = Pairing
        fields = [
            "id",
            "fair",
            "company",
            "buyer",
            "score",
            "contributions",
            "products",
            "explanation",
            "explanation_en",
            "explanation_ko",
            "rank_for_buyer",
            "rank_for_company",
            "model_version",
            "is_pinned",
            "computed_at",
        ]
        read_only_fields = fields

    def get_company(self, obj) -> dict:
        c = obj.company
        return {"id": c.pk, "name_en": c.name_en, "name_ko": c.name_ko, "sector": c.sector.code}

    def get_buyer(self, obj) -> dict:
        b = obj.buyer
        return {"id": b.pk, "name": b.name, "country": b.country.code, "verification_state": b.verification_state}

    def get_explanation(self, obj) -> str:
        return obj.explanation_ko if (get_language() or "en").startswith("ko") else obj.explanation_en


class _PairingFilters(serializers.Serializer):
    fair = serializers.IntegerField(required=False, min_value=1)
    buyer = serializers.IntegerField(required=False, min_value=1)
    company = serializers.IntegerField(required=False, min_value=1)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("fair", int, description="A fair's proposals instead of the global pairings"),
            OpenApiParameter("buyer", int, description="Recommended suppliers of this buyer, best first"),
            OpenApiParameter("company", int, description="Recommended buyers of this company, best first"),
        ]
    )
)
class PairingViewSet(viewsets.ReadOnlyModelViewSet):
    """Proposed SME-buyer pairings: score, each signal's contribution, the products that fit,
    and why (English and Korean). SMEs see their own company's, buyers their own."""

    serializer_class = PairingSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pairing.objects.none()
        params = _PairingFilters(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.pairing_list(
            user=self.request.user,
            fair_id=params.validated_data.get("fair") or (self._detail_fair() if self.action != "list" else None),
            buyer_id=params.validated_data.get("buyer"),
            company_id=params.validated_data.get("company"),
        )

    def _detail_fair(self):
        # A pairing's detail URL works for fair pairings too: look its run up.
        pairing = Pairing.objects.filter(pk=self.kwargs.get("pk")).values_list("run__fair_id", flat=True).first()
        return pairing

    def _decide(self, request, decision):
        pairing = self.get_object()
        if pairing.run.fair_id is None:
            return Response(
                {
                    "detail": "Pin and exclude apply to a fair's proposals; open the pairing through its fair.",
                    "code": "invalid",
                    "errors": [{"field": "fair", "message": "This pairing belongs to no fair."}],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        services.pair_decide(
            fair=pairing.run.fair,
            company_id=pairing.company_id,
            buyer_id=pairing.buyer_id,
            decision=decision,
            decided_by=request.user,
            note=request.data.get("note", "") if hasattr(request.data, "get") else "",
        )
        return pairing

    @extend_schema(request=None, responses=PairingSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAgencyStaff])
    def pin(self, request, pk=None):
        result = self._decide(request, PairDecision.Decision.PIN)
        if isinstance(result, Response):
            return result
        result.refresh_from_db()
        return Response(PairingSerializer(result).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"], permission_classes=[IsAgencyStaff])
    def exclude(self, request, pk=None):
        result = self._decide(request, PairDecision.Decision.EXCLUDE)
        if isinstance(result, Response):
            return result
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: None})
    @action(detail=False, methods=["post"], permission_classes=[IsAgencyStaff])
    def recompute(self, request):
        """Queue a full recompute of every pairing (chunks run in parallel on the workers)."""
        result = tasks.recompute_pairings.delay()
        return Response({"detail": "Recompute queued.", "task_id": result.id}, status=status.HTTP_202_ACCEPTED)


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = MatchingRun
        fields = [
            "id",
            "scope",
            "fair",
            "status",
            "chunks_total",
            "chunks_done",
            "pairings_written",
            "started_at",
            "finished_at",
            "error",
        ]
        read_only_fields = fields


class MatchingRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Recompute runs and their progress (staff)."""

    serializer_class = RunSerializer
    permission_classes = [IsAgencyStaff]
    queryset = MatchingRun.objects.select_related("fair").all()
    filter_backends = []
