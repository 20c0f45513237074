"""The pipeline pages: outcomes to give (and the form posting from the list), staff recording
either side, the deal list by role with filters and pages, a deal with its history, the edit form
whose stale version is answered "changed by X at T; reload" without overwriting, and the stage
form; each role kept off what is not its own."""

from decimal import Decimal

import pytest
from django.urls import reverse

from matching.models import Deal, DealChange, MeetingOutcome
from matching.pipeline import deals
from tests import factories
from tests.matching.pipeline.conftest import past_meeting

pytestmark = pytest.mark.django_db


def outcome_post(meeting, prefix: str, **values) -> dict:
    data = {"interest": "high", "next_step": "samples", "expected_value": "", "currency": "", "notes": ""}
    data.update(values)
    return {f"{prefix}-{name}": value for name, value in data.items()}


# --- outcomes -------------------------------------------------------------------------------------------


def test_the_sme_sees_its_meeting_waiting_for_an_outcome_with_a_form(client, pair):
    client.force_login(pair.sme)
    page = client.get(reverse("pipeline:outcomes"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Siam Beauty Retail" in html and reverse("pipeline:outcome", args=[pair.meeting.pk]) in html
    assert f'name="m{pair.meeting.pk}-interest"' in html and pair.products[0].name_en in html


def test_posting_the_form_from_the_list_records_the_outcome_and_opens_a_deal(client, pair):
    client.force_login(pair.sme)
    data = outcome_post(
        pair.meeting,
        f"m{pair.meeting.pk}",
        expected_value="40000",
        currency="USD",
        products=[str(pair.products[0].pk)],
    )
    data["next"] = reverse("pipeline:outcomes")
    response = client.post(reverse("pipeline:outcome", args=[pair.meeting.pk]), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("pipeline:outcomes")
    html = response.content.decode()
    assert "Outcome saved." in html and "A deal was opened in the pipeline" in html
    outcome = MeetingOutcome.objects.get()
    assert (outcome.side, outcome.expected_value, outcome.currency) == ("sme", Decimal("40000.00"), "USD")
    assert Deal.objects.get().stage == "follow_up"
    assert {row.via for row in DealChange.objects.all()} == {"page"}


def test_a_value_without_currency_is_shown_on_the_currency_field(client, pair):
    client.force_login(pair.buyer_user)
    response = client.post(
        reverse("pipeline:outcome", args=[pair.meeting.pk]),
        outcome_post(pair.meeting, f"m{pair.meeting.pk}", expected_value="500"),
    )
    assert response.status_code == 400
    assert "Give the currency of the expected order value." in response.content.decode()
    assert not MeetingOutcome.objects.exists()


def test_staff_record_the_buyers_side_on_the_meetings_page(client, pair):
    client.force_login(pair.staff)
    page = client.get(reverse("pipeline:outcome", args=[pair.meeting.pk]))
    assert (
        page.status_code == 200 and 'value="sme"' in page.content.decode() and 'value="buyer"' in page.content.decode()
    )
    data = outcome_post(pair.meeting, "buyer", interest="medium", next_step="quotation")
    data["side_posted"] = "buyer"
    response = client.post(reverse("pipeline:outcome", args=[pair.meeting.pk]), data)
    assert response.status_code == 302
    outcome = MeetingOutcome.objects.get()
    assert (outcome.side, outcome.by_staff, outcome.recorded_by) == ("buyer", True, pair.staff)


def test_staff_see_meetings_missing_outcomes(client, pair):
    client.force_login(pair.staff)
    html = client.get(reverse("pipeline:outcomes"), {"fair": pair.meeting.fair_id}).content.decode()
    assert "Hanbit Cosmetics" in html and "missing" in html


@pytest.mark.parametrize("who", ["other_sme", "other_buyer"])
def test_outsiders_cannot_open_or_post_a_meetings_outcome(client, pair, who):
    client.force_login(getattr(pair, who))
    url = reverse("pipeline:outcome", args=[pair.meeting.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, outcome_post(pair.meeting, f"m{pair.meeting.pk}")).status_code == 404
    assert "Siam Beauty Retail" not in client.get(reverse("pipeline:outcomes")).content.decode()
    assert not MeetingOutcome.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, pair, make_deal):
    deal = make_deal()
    for url in (
        reverse("pipeline:outcomes"),
        reverse("pipeline:outcome", args=[pair.meeting.pk]),
        reverse("pipeline:deals"),
        reverse("pipeline:deal_detail", args=[deal.pk]),
        reverse("pipeline:deal_edit", args=[deal.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url
    client.post(reverse("pipeline:deal_stage", args=[deal.pk]), {"version": 1, "stage": "lost", "lost_reason": "x"})
    assert Deal.objects.get().stage == "consulted"


# --- deals ----------------------------------------------------------------------------------------------


def test_the_deal_list_by_role(client, pair, make_deal):
    own = make_deal(title="Centella cream for Watsons")
    deals.deal_create(by=pair.staff, company=pair.other_sme.company, buyer=pair.buyer, title="Someone else's")
    client.force_login(pair.sme)
    html = client.get(reverse("pipeline:deals")).content.decode()
    assert "Centella cream for Watsons" in html and "Someone else&#x27;s" not in html
    client.force_login(pair.buyer_user)
    html = client.get(reverse("pipeline:deals")).content.decode()
    assert "Centella cream for Watsons" in html and "Someone else&#x27;s" in html
    client.force_login(pair.other_buyer)
    assert "Centella" not in client.get(reverse("pipeline:deals")).content.decode()
    client.force_login(pair.other_sme)
    assert client.get(reverse("pipeline:deal_detail", args=[own.pk])).status_code == 404


def test_the_deal_list_filters_and_pages(client, pair, make_deal):
    for index in range(21):
        make_deal(title=f"Deal number {index:02d}", meetings=[])
    make_deal(title="The negotiated one", stage="negotiation")
    client.force_login(pair.staff)
    html = client.get(reverse("pipeline:deals"), {"stage": "negotiation"}).content.decode()
    assert "The negotiated one" in html and "Deal number" not in html
    html = client.get(reverse("pipeline:deals"), {"fair": pair.meeting.fair_id}).content.decode()
    assert "The negotiated one" in html and "Deal number" not in html
    first = client.get(reverse("pipeline:deals")).content.decode()
    assert "22 deals" in first and "Page 1 of 2" in first
    assert client.get(reverse("pipeline:deals"), {"page": 2}).status_code == 200
    assert client.get(reverse("pipeline:deals"), {"stage": "nonsense", "company": "x"}).status_code == 200


def test_the_deal_page_shows_value_stage_and_history(client, pair, make_deal):
    from matching.models import ExchangeRate

    ExchangeRate.objects.create(currency="USD", valid_from="2020-01-01", krw_per_unit=Decimal("1300"))
    deal = make_deal()
    deals.deal_update(deal, by=pair.sme, expected_version=1, stage="negotiation")
    client.force_login(pair.buyer_user)
    html = client.get(reverse("pipeline:deal_detail", args=[deal.pk])).content.decode()
    assert "USD 50,000.00" in html and "₩65,000,000" in html
    assert 'id="deal-history"' in html and "Negotiation" in html and pair.sme.username in html
    assert reverse("pipeline:deal_edit", args=[deal.pk]) not in html  # buyers read only


def test_the_sme_edits_its_deal_on_the_page(client, pair, make_deal):
    deal = make_deal()
    client.force_login(pair.sme)
    form = client.get(reverse("pipeline:deal_edit", args=[deal.pk]))
    assert 'name="version" value="1"' in form.content.decode()
    response = client.post(
        reverse("pipeline:deal_edit", args=[deal.pk]),
        {
            "version": "1",
            "title": "Sheet masks",
            "expected_value": "72000",
            "currency": "USD",
            "probability": "10",
            "expected_close_on": "2027-03-31",
            "notes": "",
        },
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.title, deal.expected_value, deal.version) == ("Sheet masks", Decimal("72000.00"), 2)
    assert DealChange.objects.filter(deal=deal, via="page", changed_by=pair.sme, field="expected_value").exists()


def test_a_stale_edit_is_told_who_changed_the_deal_and_overwrites_nothing(client, pair, make_deal):
    deal = make_deal()
    deals.deal_update(deal, by=pair.staff, expected_version=1, expected_value=Decimal("80000"))
    client.force_login(pair.sme)
    response = client.post(
        reverse("pipeline:deal_edit", args=[deal.pk]),
        {"version": "1", "title": "", "expected_value": "1", "currency": "USD", "probability": "10", "notes": ""},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert f"This deal was changed by {pair.staff.username} at" in html and "reload" in html
    assert Deal.objects.get().expected_value == Decimal("80000.00")


def test_buyers_and_other_smes_cannot_edit(client, pair, make_deal):
    deal = make_deal()
    for user in (pair.buyer_user, pair.other_sme):
        client.force_login(user)
        data = {"version": "1", "expected_value": "1", "currency": "USD", "probability": "5"}
        status = client.post(reverse("pipeline:deal_edit", args=[deal.pk]), data).status_code
        assert status == (403 if user is pair.buyer_user else 404)
        stage = client.post(reverse("pipeline:deal_stage", args=[deal.pk]), {"version": "1", "stage": "signed"})
        assert stage.status_code in (403, 404)
    deal.refresh_from_db()
    assert (deal.expected_value, deal.stage, deal.version) == (Decimal("50000.00"), "consulted", 1)


def test_the_stage_form_needs_a_reason_to_lose_and_records_it(client, pair, make_deal):
    deal = make_deal()
    client.force_login(pair.sme)
    url = reverse("pipeline:deal_stage", args=[deal.pk])
    refused = client.post(url, {"version": "1", "stage": "lost", "lost_reason": ""})
    assert refused.status_code == 400 and "Say why the deal was lost." in refused.content.decode()
    response = client.post(url, {"version": "1", "stage": "lost", "lost_reason": "Chose a Japanese supplier"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason) == ("lost", "Chose a Japanese supplier")
    reopen = client.post(url, {"version": "2", "stage": "follow_up"})
    assert reopen.status_code == 409 and "only agency staff can reopen it" in reopen.content.decode()
    client.force_login(pair.staff)
    assert client.post(url, {"version": "2", "stage": "follow_up"}).status_code == 302
    assert Deal.objects.get().stage == "follow_up"


def test_the_stage_form_offers_only_allowed_moves(client, pair, make_deal):
    deal = make_deal(stage="negotiation")
    client.force_login(pair.sme)
    html = client.get(reverse("pipeline:deal_stage", args=[deal.pk])).content.decode()
    assert 'value="signed"' in html and 'value="lost"' in html and 'value="follow_up"' not in html


def test_a_meeting_at_another_fair_joins_the_deals_fairs(client, pair, make_deal):
    other_fair = factories.FairFactory(phase="published", name="Household goods fair for Vietnam")
    second = past_meeting(pair.company, pair.buyer, hours_ago=60, fair=other_fair)
    deal = make_deal(meetings=[pair.meeting, second])
    client.force_login(pair.staff)
    html = client.get(reverse("pipeline:deal_detail", args=[deal.pk])).content.decode()
    assert pair.meeting.fair.name in html and "Household goods fair for Vietnam" in html
    listed = client.get(reverse("pipeline:deals"), {"fair": other_fair.pk}).content.decode()
    assert reverse("pipeline:deal_detail", args=[deal.pk]) in listed


def test_out_of_range_filters_are_not_a_server_error(client, pair, make_deal):
    make_deal()
    client.force_login(pair.staff)
    huge = str(10**25)
    assert client.get(reverse("pipeline:deals"), {"fair": huge, "buyer": huge}).status_code == 200
    assert client.get(reverse("pipeline:outcomes"), {"fair": huge}).status_code == 200
    assert client.get(reverse("pipeline:deal_detail", args=[10**25])).status_code == 404
    assert client.get(reverse("pipeline:outcome", args=[10**25])).status_code == 404
