"""Pages of matching: recommended buyers (SME dashboard panel), recommended suppliers (buyers),
and the staff matching and fair-proposal pages."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tradeon.accounts.models import Role
from tradeon.errors import DomainError
from tradeon.web import role_required

from . import selectors, services, tasks
from .forms import PairDecisionForm
from .models import ConsultationFair, PairDecision
from .vocabulary import signal_label


def pairings_decorate(pairings) -> list:
    """Attach what the templates show: the explanation and the contribution bars in the
    reader's language."""
    language = get_language() or "en"
    rows = list(pairings)
    for pairing in rows:
        pairing.explanation = pairing.explanation_ko if language.startswith("ko") else pairing.explanation_en
        total = pairing.score or 1.0
        pairing.bars = [
            {"label": signal_label(name, language), "value": value, "percent": round(100 * value / total)}
            for name, value in sorted(pairing.contributions.items(), key=lambda item: -item[1])
            if value > 0
        ]
        pairing.score_percent = round(100 * pairing.score)
    return rows


@role_required(Role.SME)
def recommended_buyers_panel(request):
    """The SME dashboard's "Recommended buyers" panel (loaded into the dashboard by htmx)."""
    pairings = pairings_decorate(selectors.pairing_list(user=request.user)[:10])
    return render(request, "matching/_recommended_buyers.html", {"pairings": pairings})


@role_required(Role.BUYER)
def recommended_suppliers(request):
    pairings = pairings_decorate(selectors.pairing_list(user=request.user)[:20])
    return render(request, "matching/recommended_suppliers.html", {"pairings": pairings})


@role_required(Role.STAFF)
def matching_overview(request):
    return render(
        request,
        "matching/overview.html",
        {
            "runs": selectors.matching_runs_recent(),
            "models": selectors.scoring_model_list()[:5],
            "active_model": services.scoring_model_active(),
            "fairs": selectors.fair_list()[:20],
            "top_pairings": pairings_decorate(selectors.pairing_list(user=request.user)[:20]),
        },
    )


@require_POST
@role_required(Role.STAFF)
def matching_recompute(request):
    tasks.recompute_pairings.delay()
    messages.success(request, _("Recompute started. The new pairings appear together when every chunk is done."))
    return redirect("matching:overview")


@require_POST
@role_required(Role.STAFF)
def matching_train(request):
    result = tasks.train_scoring_model.delay()
    version = result.result if getattr(result, "ready", lambda: False)() else None
    if version:
        messages.success(request, _("Learned weights activated as version %(version)s.") % {"version": version})
    else:
        messages.info(request, _("Training queued; while there are too few outcomes the current weights stay."))
    return redirect("matching:overview")


@role_required(Role.STAFF)
def fair_list(request):
    """Fairs moved to their own pages; old links keep working."""
    return redirect("fairs:list")


@role_required(Role.STAFF)
def fair_pairs(request, pk: int):
    fair = get_object_or_404(selectors.fair_list(), pk=pk)
    page = Paginator(selectors.pairing_list(user=request.user, fair_id=fair.pk), 50).get_page(request.GET.get("page"))
    excluded = PairDecision.objects.filter(fair=fair, decision=PairDecision.Decision.EXCLUDE).select_related(
        "company", "buyer"
    )
    return render(
        request,
        "matching/fair_pairs.html",
        {
            "fair": fair,
            "page": page,
            "pairings": pairings_decorate(page.object_list),
            "excluded": excluded,
            "run": fair.runs.first(),
        },
    )


@require_POST
@role_required(Role.STAFF)
def fair_recompute(request, pk: int):
    fair = get_object_or_404(ConsultationFair, pk=pk)
    tasks.recompute_fair_pairings.delay(fair.pk)
    messages.success(request, _("The fair's proposed pairs are being recomputed."))
    return redirect("matching:fair_pairs", fair.pk)


@require_POST
@role_required(Role.STAFF)
def fair_pair_decide(request, pk: int):
    fair = get_object_or_404(ConsultationFair, pk=pk)
    form = PairDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That pair could not be changed: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect("matching:fair_pairs", fair.pk)
    data = form.cleaned_data
    try:
        if data["decision"] == "clear":
            services.pair_decision_clear(
                fair=fair, company_id=data["company"], buyer_id=data["buyer"], cleared_by=request.user
            )
        else:
            services.pair_decide(
                fair=fair,
                company_id=data["company"],
                buyer_id=data["buyer"],
                decision=data["decision"],
                decided_by=request.user,
            )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            {"pin": _("Pair pinned."), "exclude": _("Pair excluded for this fair."), "clear": _("Decision cleared.")}[
                data["decision"]
            ],
        )
    return redirect("matching:fair_pairs", fair.pk)
