"""The real service's 2021 results as data: 5 online consultation fairs, 204 buyers met, 100
companies, 431 held consultations and an export-contract pipeline of exactly 85.6 billion KRW
(856억원) in mixed currencies, at dated 2021 exchange rates. The dashboard, the API and the XLSX
export must show exactly these numbers (tests/matching/pipeline/test_fixture_2021.py).

The figures come from the Seoul Metropolitan Government's economic-policy briefing of September
2021 (see /work/shared/domain.md): medical & quarantine fairs for US buyers, beauty for Thailand
and Malaysia, household goods for Vietnam. The briefing names four sector/country pairs for five
fairs; the fifth here is a first medical & quarantine round for the USA in March.

How the totals come out exact under the rounding rule (`money`): every deal is generated as a
"nice" amount in its currency (USD to the hundred, VND to the million, ...), converted at the
July 2021 rates and rounded to whole won like any report does; then one signed deal in THB
(with satang) and one open deal in VND take the remainders, chosen so that their own converted,
rounded values are exactly what is missing: 12,300,000,000 KRW signed, 85,600,000,000 KRW in all.
Everything comes from one seeded `random.Random`; two builds give the same figures.
"""

import dataclasses
import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models, transaction
from django.utils import timezone

from buyers.models import BuyerOrganisation, BuyerType, ImportVolumeBand, VerificationState
from catalog.models import Company, PublicationStatus, Sector
from catalog.validators import brn_check_digit_ok
from matching.models import (
    ChangeChannel,
    ConsultationFair,
    Currency,
    Deal,
    DealChange,
    DealStage,
    ExchangeRate,
    FairParticipant,
    FairPhase,
    InterestLevel,
    LiveState,
    Meeting,
    MeetingOutcome,
    MeetingStatus,
    NextStep,
    OutcomeSide,
    ParticipantStatus,
    SessionWindow,
    VideoRoom,
)
from matching.scheduler import SEOUL

from .deals import DEFAULT_PROBABILITY
from .history import HISTORY_FIELDS, history_rows
from .money import convert_exact, round_won

SEED = 2021
PIPELINE_KRW = Decimal(85_600_000_000)  # 856억원
SIGNED_KRW = Decimal(12_300_000_000)  # 123억원
FAIRS_HELD, BUYERS_MET, COMPANIES_MET, CONSULTATIONS_HELD = 5, 204, 100, 431
REPORT_DATE = dt.date(2021, 8, 31)  # the briefing's snapshot: end of August 2021

# KRW per unit (매매기준율-style basic rates), set at the start of the year and revised in July.
RATES_2021 = {
    dt.date(2021, 1, 4): {
        Currency.USD: "1086.20",
        Currency.EUR: "1338.35",
        Currency.JPY: "10.5391",
        Currency.CNY: "167.47",
        Currency.VND: "0.047043",
        Currency.THB: "36.29",
        Currency.MYR: "270.26",
    },
    dt.date(2021, 7, 1): {
        Currency.USD: "1126.10",
        Currency.EUR: "1339.25",
        Currency.JPY: "10.1827",
        Currency.CNY: "174.37",
        Currency.VND: "0.049021",
        Currency.THB: "35.23",
        Currency.MYR: "271.36",
    },
}
RATE_SOURCE = "Seoul Money Brokerage basic rate (fixture)"


@dataclass(frozen=True)
class FairPlan:
    name: str
    sector: str
    country: str
    starts_on: dt.date
    buyers: int
    companies: slice  # of the sector's company pool
    consultations: int
    deals: int
    currencies: tuple[tuple[str, int], ...]  # currency, weight


FAIRS = (
    FairPlan(
        "K-quarantine online export fair (USA)",
        "medical",
        "US",
        dt.date(2021, 3, 16),
        34,
        slice(0, 20),
        62,
        22,
        ((Currency.USD, 8), (Currency.EUR, 1), (Currency.KRW, 1)),
    ),
    FairPlan(
        "Medical & quarantine online export fair (USA)",
        "medical",
        "US",
        dt.date(2021, 5, 11),
        46,
        slice(6, 32),
        98,
        36,
        ((Currency.USD, 15), (Currency.EUR, 3), (Currency.JPY, 2)),
    ),
    FairPlan(
        "Beauty online export fair (Thailand)",
        "beauty",
        "TH",
        dt.date(2021, 6, 15),
        44,
        slice(0, 24),
        96,
        34,
        ((Currency.THB, 11), (Currency.USD, 7), (Currency.JPY, 2)),
    ),
    FairPlan(
        "Beauty online export fair (Malaysia)",
        "beauty",
        "MY",
        dt.date(2021, 7, 6),
        40,
        slice(14, 38),
        88,
        32,
        ((Currency.MYR, 11), (Currency.USD, 6), (Currency.CNY, 3)),
    ),
    FairPlan(
        "Household goods online export fair (Vietnam)",
        "household",
        "VN",
        dt.date(2021, 8, 24),
        40,
        slice(0, 30),
        87,
        30,
        ((Currency.VND, 10), (Currency.USD, 6), (Currency.KRW, 2), (Currency.CNY, 2)),
    ),
)
COMPANY_POOLS = {"medical": 32, "beauty": 38, "household": 30}

# Daily slots in Seoul time: 40-minute meetings, 10-minute breaks, 09:00-12:00 and 13:00-17:00.
SLOT_STARTS = (
    dt.time(9, 0),
    dt.time(9, 50),
    dt.time(10, 40),
    dt.time(13, 0),
    dt.time(13, 50),
    dt.time(14, 40),
    dt.time(15, 30),
    dt.time(16, 20),
)
FAIR_DAYS = 3
MEETING_MINUTES = 40
ROOMS = 9  # the agency's nine video rooms (화상상담실)
# Each fair also has one no-show and one cancelled meeting: booked, but not held consultations.
NOT_HELD_PER_FAIR = 2

# How each currency's amounts are rounded when generated (a deal of "USD 123,400", not "123,456.78").
NICE_UNITS = {
    Currency.USD: Decimal(100),
    Currency.EUR: Decimal(100),
    Currency.THB: Decimal(1000),
    Currency.MYR: Decimal(100),
    Currency.VND: Decimal(1_000_000),
    Currency.JPY: Decimal(10_000),
    Currency.CNY: Decimal(1000),
    Currency.KRW: Decimal(1_000_000),
}
CENT_CURRENCIES = (Currency.USD, Currency.EUR, Currency.MYR, Currency.CNY)
# The two remainder deals: their currencies' smallest units are worth under one won, so any whole
# won amount can be hit exactly after rounding.
SIGNED_REMAINDER = (2, Currency.THB, Decimal("0.01"))  # fair index, currency, unit (satang)
OPEN_REMAINDER = (4, Currency.VND, Decimal(1))

OPEN_BEYOND_CONSULTED = (DealStage.FOLLOW_UP, DealStage.SAMPLES_QUOTATION, DealStage.NEGOTIATION)

COMPANY_NAMES = {
    "medical": (
        ("Hanbit", "한빛"),
        ("Gangseo", "강서"),
        ("Mapo", "마포"),
        ("Jongno", "종로"),
        ("Seocho", "서초"),
        ("Guro", "구로"),
        ("Nowon", "노원"),
        ("Songpa", "송파"),
    ),
    "beauty": (
        ("Cheongdam", "청담"),
        ("Sinsa", "신사"),
        ("Hongdae", "홍대"),
        ("Itaewon", "이태원"),
        ("Myeongdong", "명동"),
        ("Seongsu", "성수"),
        ("Apgujeong", "압구정"),
        ("Yeonnam", "연남"),
        ("Samcheong", "삼청"),
        ("Bukchon", "북촌"),
    ),
    "household": (
        ("Dongdaemun", "동대문"),
        ("Namdaemun", "남대문"),
        ("Euljiro", "을지로"),
        ("Mullae", "문래"),
        ("Yongsan", "용산"),
        ("Banpo", "반포"),
        ("Jamsil", "잠실"),
        ("Sangam", "상암"),
    ),
}
COMPANY_KINDS = {
    "medical": (("Medical", "메디칼"), ("Bio", "바이오"), ("Healthcare", "헬스케어"), ("Diagnostics", "진단")),
    "beauty": (("Cosmetics", "코스메틱"), ("Beauty", "뷰티"), ("Skin Lab", "스킨랩"), ("Hair Care", "헤어케어")),
    "household": (("Living", "리빙"), ("Home", "홈"), ("Kitchenware", "주방"), ("Houseware", "생활용품")),
}
BUYER_NAMES = {
    "US": (
        (
            "Pacific",
            "Atlantic",
            "Liberty",
            "Summit",
            "Evergreen",
            "Lakeside",
            "Redwood",
            "Harbor",
            "Prairie",
            "Keystone",
            "Bayview",
            "Granite",
            "Sierra",
            "Hudson",
            "Cascade",
            "Magnolia",
            "Riverside",
            "Frontier",
            "Beacon",
            "Heritage",
        ),
        ("Medical Supply", "Health Distributors", "Care Products", "PPE Wholesale"),
    ),
    "TH": (
        (
            "Siam",
            "Bangkok",
            "Chao Phraya",
            "Lanna",
            "Andaman",
            "Sukhumvit",
            "Silom",
            "Ratchada",
            "Phuket",
            "Isan",
            "Korat",
        ),
        ("Beauty Trading", "Cosmetics Co.", "Retail Group", "Distribution"),
    ),
    "MY": (
        ("Klang", "Penang", "Selangor", "Johor", "Melaka", "Ipoh", "Sabah", "Kuching", "Putra", "Langkawi"),
        ("Beauty Sdn Bhd", "Cosmetics Trading", "Halal Beauty", "Retail Sdn Bhd"),
    ),
    "VN": (
        ("Saigon", "Hanoi", "Mekong", "Da Nang", "Hai Phong", "Can Tho", "Hue", "Nha Trang", "Red River", "Ha Long"),
        ("Home Goods", "Trading JSC", "Living Mart", "Import Export"),
    ),
}
BUYER_PLACES = {
    "US": (("Los Angeles", "America/Los_Angeles"), ("New York", "America/New_York"), ("Chicago", "America/Chicago")),
    "TH": (("Bangkok", "Asia/Bangkok"),),
    "MY": (("Kuala Lumpur", "Asia/Kuala_Lumpur"), ("Penang", "Asia/Kuala_Lumpur")),
    "VN": (("Ho Chi Minh City", "Asia/Ho_Chi_Minh"), ("Hanoi", "Asia/Ho_Chi_Minh")),
}
BUYER_LANGUAGES = {"US": ["en"], "TH": ["th", "en"], "MY": ["ms", "en"], "VN": ["vi", "en"]}
DEAL_GOODS = {
    "medical": (
        "KF94 masks",
        "rapid antigen test kits",
        "infrared thermometers",
        "disinfectant wipes",
        "nitrile gloves",
    ),
    "beauty": ("sheet masks", "cushion compacts", "centella serum", "hair ampoules", "sun cream"),
    "household": ("stainless cookware", "storage containers", "bamboo towels", "water filters", "kitchen knives"),
}


@dataclass
class Fixture2021:
    """What the build created, with the figures a report must show."""

    fairs: list[ConsultationFair]
    companies: list[Company]
    buyers: list[BuyerOrganisation]
    held_meetings: list[Meeting]
    deals: list[Deal]
    rates: list[ExchangeRate]
    pipeline_krw: Decimal = PIPELINE_KRW
    signed_krw: Decimal = SIGNED_KRW
    report_date: dt.date = REPORT_DATE


class FixtureNotEmpty(Exception):
    """The database already holds data that would change the 2021 figures."""


def conflicting_data() -> list[str]:
    """Why the fixture cannot be loaded here (empty: it can)."""
    found = []
    if Deal.objects.exists():
        found.append(f"{Deal.objects.count()} deal(s) exist")
    if Meeting.objects.filter(starts_at__year=2021).exists():
        found.append("meetings in 2021 exist")
    if ExchangeRate.objects.filter(valid_from__year__gte=2021).exclude(valid_from__in=list(RATES_2021)).exists():
        found.append("exchange rates dated 2021 or later exist (a report would convert with them)")
    return found


def _brn(serial: int, taken: set[str]) -> str:
    # Valid business registration numbers (NTS check digit), from a range the demo data does not use.
    while True:
        body = f"{700 + serial % 100:03d}{21 + serial // 100 % 70:02d}{(serial * 37) % 10000:04d}"
        digit = next(d for d in "0123456789" if brn_check_digit_ok(body + d))
        number = f"{body[:3]}-{body[3:5]}-{body[5:]}{digit}"
        serial += 1000
        if number not in taken:
            taken.add(number)
            return number


def _nice(value: Decimal, unit: Decimal) -> Decimal:
    return max(unit, (value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit)


def _exact_amount(target_krw: Decimal, rate: Decimal, unit: Decimal) -> Decimal:
    """An amount in whole `unit`s whose converted, rounded value is exactly `target_krw` won."""
    amount = (target_krw / rate).quantize(unit, rounding=ROUND_HALF_UP)
    for step in (0, 1, -1, 2, -2):
        candidate = amount + step * unit
        if round_won(convert_exact(candidate, rate)) == target_krw:
            return candidate
    raise AssertionError(f"no amount of {unit} hits {target_krw} KRW at {rate}")  # cannot happen: unit < 1 won


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, SEOUL).astimezone(dt.UTC)


def _weighted(rng: random.Random, choices) -> str:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


@transaction.atomic
def build_2021_fixture(*, by=None, from_registry: bool = False) -> Fixture2021:
    """Create the 2021 fairs, companies, buyers, meetings, outcomes, deals and rates. Fairs of the
    same name that have no meetings yet (the demo's) are reused. With `from_registry` (the demo)
    the participants are the registry's own published companies and verified buyers, first by
    id, and only buyers a country lacks are created. Raises FixtureNotEmpty if the database
    already holds deals, 2021 meetings or later rates that would change the figures."""
    if found := conflicting_data():
        raise FixtureNotEmpty("; ".join(found))
    rng = random.Random(SEED)
    now = timezone.now()
    rates = _rates(by)
    latest = {currency: Decimal(value) for currency, value in RATES_2021[max(RATES_2021)].items()}
    latest[Currency.KRW] = Decimal(1)

    sectors = {sector.code: sector for sector in Sector.objects.filter(code__in=COMPANY_POOLS)}
    companies_by_sector = _registry_companies(sectors) if from_registry else _companies(sectors)
    registry_buyers = _RegistryBuyers() if from_registry else None
    rooms = [VideoRoom.objects.get_or_create(name=f"Video room {number}")[0] for number in range(1, ROOMS + 1)]

    fairs, all_buyers, held, deals_plan = [], [], [], []
    meetings_to_create: list[Meeting] = []
    for index, plan in enumerate(FAIRS):
        fair = _fair(plan, sectors[plan.sector], rooms, by)
        fairs.append(fair)
        start = sum(p.buyers for p in FAIRS[:index] if p.country == plan.country)
        buyers = registry_buyers.take(plan, start=start) if registry_buyers else _buyers(plan, start=start)
        all_buyers.extend(buyers)
        companies = companies_by_sector[plan.sector][plan.companies]
        FairParticipant.objects.bulk_create(
            [
                FairParticipant(
                    fair=fair,
                    kind=FairParticipant.Kind.SME,
                    company=company,
                    status=ParticipantStatus.ACCEPTED,
                    invited_by=by,
                    responded_at=_at(plan.starts_on - dt.timedelta(days=20), dt.time(10)),
                )
                for company in companies
            ]
            + [
                FairParticipant(
                    fair=fair,
                    kind=FairParticipant.Kind.BUYER,
                    buyer=buyer,
                    status=ParticipantStatus.ACCEPTED,
                    invited_by=by,
                    responded_at=_at(plan.starts_on - dt.timedelta(days=18), dt.time(10)),
                )
                for buyer in buyers
            ]
        )
        meetings_to_create.extend(_meetings(plan, fair, companies, buyers, rooms))

    Meeting.objects.bulk_create(meetings_to_create, batch_size=500)
    held = [m for m in meetings_to_create if m.live_state == LiveState.COMPLETED]
    # auto_now_add stamps today on bulk_create; a meeting's row dates from its publication.
    for meeting in meetings_to_create:
        meeting.created_at = meeting.published_at
    Meeting.objects.bulk_update(meetings_to_create, ["created_at"], batch_size=500)

    deals_plan = _plan_deals(rng, held)
    _outcomes(rng, held, deals_plan)
    deals = _deals(rng, deals_plan, latest, companies_by_sector, all_buyers, by, now)
    return Fixture2021(
        fairs=fairs,
        companies=[c for pool in companies_by_sector.values() for c in pool],
        buyers=all_buyers,
        held_meetings=held,
        deals=deals,
        rates=rates,
    )


def _rates(by) -> list[ExchangeRate]:
    rows = []
    for valid_from, values in RATES_2021.items():
        for currency, value in values.items():
            rate, _created = ExchangeRate.objects.update_or_create(
                currency=currency,
                valid_from=valid_from,
                defaults={"krw_per_unit": Decimal(value), "source": RATE_SOURCE, "set_by": by},
            )
            rows.append(rate)
        # Set on the morning the rate took effect (auto_now_add stamps today).
        ExchangeRate.objects.filter(pk__in=[r.pk for r in rows if r.valid_from == valid_from]).update(
            set_at=_at(valid_from, dt.time(9))
        )
    return rows


def _companies(sectors) -> dict[str, list[Company]]:
    taken = set(Company.objects.values_list("business_registration_number", flat=True))
    rows, serial = [], 1
    for code, count in COMPANY_POOLS.items():
        stems, kinds = COMPANY_NAMES[code], COMPANY_KINDS[code]
        for number in range(count):
            (stem_en, stem_ko), (kind_en, kind_ko) = stems[number // len(kinds)], kinds[number % len(kinds)]
            rows.append(
                Company(
                    name_en=f"{stem_en} {kind_en}",
                    name_ko=f"{stem_ko}{kind_ko}",
                    business_registration_number=_brn(serial, taken),
                    sector=sectors[code],
                    description_en=f"Seoul {sectors[code].name_en.lower()} exporter (2021 consultation fairs)",
                    status=PublicationStatus.PUBLISHED,
                    languages=["ko", "en"],
                    founded_year=1995 + serial % 25,
                    employees=8 + (serial * 7) % 120,
                )
            )
            serial += 1
    Company.objects.bulk_create(rows)
    pools: dict[str, list[Company]] = {code: [] for code in COMPANY_POOLS}
    for company in rows:
        pools[next(code for code, sector in sectors.items() if sector.pk == company.sector_id)].append(company)
    return pools


def _fair(plan: FairPlan, sector: Sector, rooms, by) -> ConsultationFair:
    ends_on = plan.starts_on + dt.timedelta(days=FAIR_DAYS - 1)
    published_at = _at(plan.starts_on - dt.timedelta(days=7), dt.time(10))
    fair = ConsultationFair.objects.filter(name=plan.name, meetings__isnull=True).order_by("id").first()
    if fair is None:
        fair = ConsultationFair.objects.create(name=plan.name, starts_on=plan.starts_on, ends_on=ends_on)
    fair.starts_on, fair.ends_on = plan.starts_on, ends_on
    fair.target_countries = [plan.country]
    fair.phase = FairPhase.FOLLOW_UP
    fair.meeting_minutes, fair.break_minutes = MEETING_MINUTES, 10
    fair.published_at = published_at
    fair.save()
    fair.sectors.set([sector])
    fair.rooms.set(rooms)
    if not fair.session_windows.exists():
        SessionWindow.objects.bulk_create(
            [
                SessionWindow(fair=fair, opens_at=dt.time(9), closes_at=dt.time(12)),
                SessionWindow(fair=fair, opens_at=dt.time(13), closes_at=dt.time(17)),
            ]
        )
    return fair


def _registry_companies(sectors) -> dict[str, list[Company]]:
    pools = {}
    for code, count in COMPANY_POOLS.items():
        pools[code] = list(
            Company.objects.filter(sector=sectors[code], status=PublicationStatus.PUBLISHED).order_by("id")[:count]
        )
        if len(pools[code]) < count:
            raise FixtureNotEmpty(f"the registry has {len(pools[code])} published {code} companies; {count} are needed")
    return pools


class _RegistryBuyers:
    """Verified buyers of each country, each met at one fair only; a country short of them gets
    the rest created like the fixture's own."""

    def __init__(self):
        self.used: set[int] = set()

    def take(self, plan: FairPlan, *, start: int) -> list[BuyerOrganisation]:
        found = list(
            BuyerOrganisation.objects.filter(country=plan.country, verification_state=VerificationState.VERIFIED)
            .exclude(pk__in=self.used)
            .order_by("id")[: plan.buyers]
        )
        self.used.update(b.pk for b in found)
        if len(found) < plan.buyers:
            short = dataclasses.replace(plan, buyers=plan.buyers - len(found))
            found += _buyers(short, start=start + len(found))
        return found


def _buyers(plan: FairPlan, *, start: int) -> list[BuyerOrganisation]:
    stems, kinds = BUYER_NAMES[plan.country]
    places = BUYER_PLACES[plan.country]
    rows = []
    for number in range(start, start + plan.buyers):
        city, zone = places[number % len(places)]
        rows.append(
            BuyerOrganisation(
                name=f"{stems[number // len(kinds)]} {kinds[number % len(kinds)]}",
                country=plan.country,
                city=city,
                time_zone=zone,
                buyer_type=(BuyerType.DISTRIBUTOR, BuyerType.IMPORTER, BuyerType.RETAILER, BuyerType.WHOLESALER)[
                    number % 4
                ],
                import_volume_band=(ImportVolumeBand.K100_TO_1M, ImportVolumeBand.M1_TO_10)[number % 2],
                languages=BUYER_LANGUAGES[plan.country],
                contact_email=f"buyer{number + 1}@{plan.country.lower()}.buyers.example",
                verification_state=VerificationState.VERIFIED,
                reviewed_at=_at(plan.starts_on - dt.timedelta(days=30), dt.time(11)),
            )
        )
    BuyerOrganisation.objects.bulk_create(rows)
    return rows


def _meetings(plan: FairPlan, fair, companies, buyers, rooms) -> list[Meeting]:
    """The fair's held consultations, then its no-show and its cancelled meeting. Meeting k takes
    slot k // per_slot, company k mod |companies| and buyer k mod |buyers|: consecutive meetings
    share a slot, so no SME, buyer or room is booked twice at once, every company and buyer
    meets at least once, and no pair meets twice (lcm(|companies|, |buyers|) > meetings)."""
    total = plan.consultations + NOT_HELD_PER_FAIR
    slots = [(plan.starts_on + dt.timedelta(days=day), start) for day in range(FAIR_DAYS) for start in SLOT_STARTS]
    per_slot = math.ceil(total / len(slots))
    assert per_slot <= min(ROOMS, len(companies), len(buyers))
    assert math.lcm(len(companies), len(buyers)) >= total
    published_at = fair.published_at
    meetings = []
    for k in range(total):
        day, start = slots[k // per_slot]
        starts_at = _at(day, start)
        ends_at = starts_at + dt.timedelta(minutes=MEETING_MINUTES)
        meeting = Meeting(
            fair=fair,
            company=companies[k % len(companies)],
            buyer=buyers[k % len(buyers)],
            source=Meeting.Source.REQUEST,
            starts_at=starts_at,
            ends_at=ends_at,
            room=rooms[k % per_slot],
            status=MeetingStatus.SCHEDULED,
            published_at=published_at,
            live_state=LiveState.COMPLETED,
            live_started_at=starts_at + dt.timedelta(minutes=1),
            live_ended_at=ends_at - dt.timedelta(minutes=2),
            attended_seconds=(MEETING_MINUTES - 3) * 60,
            score=0.5,
        )
        if k == plan.consultations:  # the buyer never came
            meeting.live_state, meeting.no_show_side = LiveState.NO_SHOW, "buyer"
            meeting.live_started_at = meeting.live_ended_at = None
            meeting.attended_seconds = 0
        elif k == plan.consultations + 1:  # called off the day before
            meeting.status, meeting.cancel_reason = (
                MeetingStatus.CANCELLED,
                "The buyer's trip to the office fell through.",
            )
            meeting.live_state = LiveState.SCHEDULED
            meeting.live_started_at = meeting.live_ended_at = None
            meeting.attended_seconds = 0
        meetings.append(meeting)
    return meetings


@dataclass
class _DealPlan:
    fair_index: int
    meeting: Meeting | None
    company: Company | None = None
    buyer: BuyerOrganisation | None = None
    stage: str = DealStage.CONSULTED
    currency: str = Currency.USD
    amount: Decimal = Decimal(0)
    krw: Decimal = Decimal(0)


def _plan_deals(rng: random.Random, held: list[Meeting]) -> list[_DealPlan]:
    by_fair: dict[int, list[Meeting]] = {}
    fair_index = {}
    for meeting in held:
        by_fair.setdefault(meeting.fair_id, []).append(meeting)
    for index, fair_id in enumerate(dict.fromkeys(m.fair_id for m in held)):
        fair_index[fair_id] = index
    plans = []
    for fair_id, meetings in by_fair.items():
        index = fair_index[fair_id]
        for meeting in sorted(rng.sample(meetings, FAIRS[index].deals), key=lambda m: (m.starts_at, m.pk)):
            plans.append(_DealPlan(fair_index=index, meeting=meeting))
    return plans


def _outcomes(rng: random.Random, held: list[Meeting], plans: list[_DealPlan]) -> None:
    """Both sides' outcomes of every meeting that led to a deal; the SME's of about two in three
    of the others (the rest never answered)."""
    with_deal = {plan.meeting.pk for plan in plans}
    rows = []
    for meeting in held:
        led_to_deal = meeting.pk in with_deal
        if not led_to_deal and rng.random() > 0.66:
            continue
        interest = (
            rng.choice((InterestLevel.MEDIUM, InterestLevel.HIGH))
            if led_to_deal
            else rng.choice((InterestLevel.NONE, InterestLevel.LOW, InterestLevel.LOW, InterestLevel.MEDIUM))
        )
        next_step = (
            rng.choice((NextStep.SAMPLES, NextStep.QUOTATION, NextStep.CATALOGUE))
            if led_to_deal
            else rng.choice((NextStep.NONE, NextStep.CATALOGUE))
        )
        sides = (OutcomeSide.SME, OutcomeSide.BUYER) if led_to_deal else (OutcomeSide.SME,)
        for side in sides:
            rows.append(MeetingOutcome(meeting=meeting, side=side, interest=interest, next_step=next_step))
    MeetingOutcome.objects.bulk_create(rows, batch_size=500)


def _stage(rng: random.Random, fair_index: int) -> str:
    if fair_index == len(FAIRS) - 1:  # the August fair: a week old, nothing signed or lost yet
        weights = ((DealStage.CONSULTED, 6), (DealStage.FOLLOW_UP, 3), (DealStage.SAMPLES_QUOTATION, 1))
    else:
        weights = (
            (DealStage.CONSULTED, 4),
            (DealStage.FOLLOW_UP, 4),
            (DealStage.SAMPLES_QUOTATION, 3),
            (DealStage.NEGOTIATION, 2),
            (DealStage.SIGNED, 2),
            (DealStage.LOST, 1),
        )
    return _weighted(rng, weights)


def _deals(rng, plans: list[_DealPlan], rates, companies_by_sector, all_buyers, by, now) -> list[Deal]:
    # Two deals staff recorded from enquiries outside any fair ("no fair" in the reports).
    medical, household = companies_by_sector["medical"], companies_by_sector["household"]
    us_buyers = [buyer for buyer in all_buyers if buyer.country == "US"]
    vn_buyers = [buyer for buyer in all_buyers if buyer.country == "VN"]
    plans = [
        *plans,
        _DealPlan(fair_index=-1, meeting=None, company=medical[3], buyer=us_buyers[5], currency=Currency.USD),
        _DealPlan(fair_index=-1, meeting=None, company=household[7], buyer=vn_buyers[2], currency=Currency.KRW),
    ]
    for plan in plans:
        if plan.meeting is not None:
            plan.company, plan.buyer = plan.meeting.company, plan.meeting.buyer
            plan.currency = _weighted(rng, FAIRS[plan.fair_index].currencies)
            plan.stage = _stage(rng, plan.fair_index)
        else:
            plan.stage = DealStage.FOLLOW_UP
    signed_remainder = next(p for p in plans if p.fair_index == SIGNED_REMAINDER[0] and p.stage == DealStage.SIGNED)
    open_remainder = next(
        p for p in reversed(plans) if p.fair_index == OPEN_REMAINDER[0] and p.stage == DealStage.CONSULTED
    )
    signed_remainder.currency, open_remainder.currency = SIGNED_REMAINDER[1], OPEN_REMAINDER[1]

    # Values: KRW targets spread around the average, so the pipeline lands near the total before
    # the remainders; each made a nice amount in its currency and converted like a report does.
    in_pipeline = [p for p in plans if p.stage != DealStage.LOST]
    signed = [p for p in in_pipeline if p.stage == DealStage.SIGNED and p is not signed_remainder]
    open_ = [p for p in in_pipeline if p.stage != DealStage.SIGNED and p is not open_remainder]
    remainder_share = Decimal("0.6")  # a remainder deal is worth about 0.6 of an average deal
    for group, total in ((signed, SIGNED_KRW), (open_, PIPELINE_KRW - SIGNED_KRW)):
        weights = [Decimal(str(round(rng.uniform(0.25, 1.75), 3))) for _ in group]
        scale = total / (sum(weights) + remainder_share)
        for plan, weight in zip(group, weights, strict=True):
            _value(plan, weight * scale, rates, rng)
    for plan in plans:
        if plan.stage == DealStage.LOST:
            _value(plan, Decimal(rng.randint(80, 600)) * 1_000_000, rates, rng)
    for remainder, group, total, unit in (
        (signed_remainder, signed, SIGNED_KRW, SIGNED_REMAINDER[2]),
        (open_remainder, open_, PIPELINE_KRW - SIGNED_KRW, OPEN_REMAINDER[2]),
    ):
        remainder.krw = total - sum(p.krw for p in group)
        assert remainder.krw > 0
        remainder.amount = _exact_amount(remainder.krw, rates[remainder.currency], unit)

    deals, created = [], []
    last = _at(REPORT_DATE, dt.time(12))
    for number, plan in enumerate(plans):
        met_at = plan.meeting.ends_at if plan.meeting else _at(dt.date(2021, 4 + number % 4, 12), dt.time(15))
        created_at = min(met_at + dt.timedelta(days=1 + number % 6, hours=2), last)
        changed_at = min(created_at + dt.timedelta(days=10 + number % 30), last)
        sector = FAIRS[plan.fair_index].sector if plan.meeting else plan.company.sector.code
        created.append(created_at)
        deals.append(
            Deal(
                company=plan.company,
                buyer=plan.buyer,
                title=f"{rng.choice(DEAL_GOODS[sector]).capitalize()} for {plan.buyer.name}",
                stage=plan.stage,
                lost_reason="The buyer chose a supplier with a lower price." if plan.stage == DealStage.LOST else "",
                expected_value=plan.amount,
                currency=plan.currency,
                probability=DEFAULT_PROBABILITY[plan.stage],
                expected_close_on=(changed_at + dt.timedelta(days=60)).astimezone(SEOUL).date()
                if plan.stage in OPEN_BEYOND_CONSULTED
                else None,
                signed_on=changed_at.astimezone(SEOUL).date() if plan.stage == DealStage.SIGNED else None,
                created_by=by,
                stage_changed_at=changed_at if plan.stage != DealStage.CONSULTED else created_at,
            )
        )
    Deal.objects.bulk_create(deals)
    # auto_now_add stamps today on bulk_create; the deals date from 2021. A plain queryset: this
    # backdates seed rows (no value or stage changes), so no history or version belongs to it.
    for deal, created_at in zip(deals, created, strict=True):
        deal.created_at, deal.updated_at = created_at, deal.stage_changed_at
    models.QuerySet(Deal).bulk_update(deals, ["created_at", "updated_at"])
    Deal.meetings.through.objects.bulk_create(
        [
            Deal.meetings.through(deal_id=deal.pk, meeting_id=plan.meeting.pk)
            for deal, plan in zip(deals, plans, strict=True)
            if plan.meeting
        ]
    )
    # The history the deal pages show: created as "consulted", then moved to its stage, written
    # the way the deal services write it (matching.pipeline.history), as an import.
    attributes = [attribute for _name, attribute in HISTORY_FIELDS]
    changes = []
    for deal in deals:
        now_values = {attribute: getattr(deal, attribute) for attribute in attributes}
        first = {
            **now_values,
            "stage": DealStage.CONSULTED,
            "probability": DEFAULT_PROBABILITY[DealStage.CONSULTED],
            "signed_on": None,
            "expected_close_on": None,
            "lost_reason": "",
        }
        changes += history_rows(deal.pk, None, first, by=by, via=ChangeChannel.IMPORT, at=deal.created_at)
        changes += history_rows(deal.pk, first, now_values, by=by, via=ChangeChannel.IMPORT, at=deal.stage_changed_at)
    DealChange.objects.bulk_create(changes, batch_size=500)
    return deals


def _value(plan: _DealPlan, target_krw: Decimal, rates, rng: random.Random) -> None:
    rate = rates[plan.currency]
    plan.amount = _nice(target_krw / rate, NICE_UNITS[plan.currency])
    if plan.currency in CENT_CURRENCIES and rng.random() < 0.25:
        # Some quotes carry cents: their conversions end in fractions of a won and get rounded.
        plan.amount += Decimal(rng.randint(1, 99)) / 100
    plan.krw = round_won(convert_exact(plan.amount, rate))
