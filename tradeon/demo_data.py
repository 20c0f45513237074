"""Deterministic demo data at the real service's scale (502 SMEs, 2,226 products, 468 buyers).

`manage.py seed_demo` calls `seed_demo()`; `bench/api.py` reuses the vocabularies and builders
to load 10^5 products. Everything comes from one seeded `random.Random`, so two runs produce
the same companies, BRNs, products and buyers (only timestamps move with the day it runs).
"""

import contextlib
import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from buyers.models import (
    BuyerOrganisation,
    BuyerType,
    ImportVolumeBand,
    SourcingRequest,
    SourcingRequestStatus,
    VerificationState,
)
from catalog.models import Certification, Company, HSCode, Product, PublicationStatus, RevenueBand, Sector
from catalog.services import product_fill_derived_fields
from catalog.validators import brn_check_digit_ok
from tradeon.accounts.models import Role, User

SEED = 20210831  # the real service's snapshot: end of August 2021

# The real service's scale (Seoul economic-policy briefing, September 2021).
DEMO_COMPANY_COUNT = 502
DEMO_PRODUCT_COUNT = 2226
DEMO_BUYER_COUNT = 468
# How the 502 SMEs split over the five strategic sectors; sums to DEMO_COMPANY_COUNT.
DEMO_COMPANIES_PER_SECTOR = {"beauty": 142, "food": 108, "household": 92, "medical": 88, "it-ict": 72}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    who: str


# The Makefile and README point people at these; the seeder creates exactly these accounts.
DEMO_LOGINS = (
    DemoLogin("staff", "tradeon-staff", Role.STAFF, "agency staff (SBA organiser); also signs in to /admin/"),
    DemoLogin("sme", "tradeon-sme", Role.SME, "member of a published beauty SME"),
    DemoLogin("buyer", "tradeon-buyer", Role.BUYER, "member of a verified Malaysian beauty buyer"),
    DemoLogin("newbuyer", "tradeon-newbuyer", Role.BUYER, "member of a buyer still pending verification"),
)


# --- Vocabularies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductLine:
    """One kind of product an SME in a sector makes, in Korean and English, with its HS subheading."""

    name_ko: str
    name_en: str
    hs_code: str
    keywords: str
    description_ko: str
    description_en: str
    moq: tuple[int, int]
    moq_unit: str
    price_usd: tuple[float, float]
    variants: tuple[tuple[str, str], ...] = ()  # overrides the sector's variants when set


@dataclass(frozen=True)
class SectorVocabulary:
    code: str
    product_lines: tuple[ProductLine, ...]
    variants: tuple[tuple[str, str], ...]
    company_suffixes: tuple[tuple[str, str], ...]
    # certification code -> share of the sector's companies holding it
    certifications: dict[str, float]
    target_countries: tuple[str, ...]
    strengths: tuple[tuple[str, str], ...]
    buyer_words: tuple[str, ...]


# The vocabularies are data tables; one entry per line group reads better than one value per line.
# fmt: off
L = ProductLine
_DEVICE_VARIANTS = (("", ""), ("블랙", "black"), ("화이트", "white"), ("2세대", "2nd gen"), ("프로", "Pro"), ("라이트", "Lite"))

BEAUTY = SectorVocabulary(
    code="beauty",
    product_lines=(
        L("병풀 진정 크림", "Centella calming cream", "330499", "cica, centella, cream, sensitive skin, 시카, 크림",
          "민감하고 붉어진 피부를 진정시키는 병풀 추출물 고함량 크림", "Calming cream rich in Centella asiatica extract for sensitive, reddened skin",
          (300, 3000), "pcs", (3.5, 9.0)),
        L("히알루론산 수분 세럼", "Hyaluronic acid hydrating serum", "330499", "serum, hyaluronic acid, hydration, 세럼, 수분",
          "다섯 가지 히알루론산으로 속건조를 채워 주는 수분 세럼", "Hydrating serum with five types of hyaluronic acid for dehydrated skin",
          (300, 3000), "pcs", (4.0, 11.0)),
        L("마스크팩", "Sheet mask", "330499", "sheet mask, mask pack, facial mask, 마스크팩, 시트마스크",
          "천연 펄프 시트에 에센스를 듬뿍 담은 1회용 마스크팩", "Single-use sheet mask on a natural pulp sheet soaked in essence",
          (1000, 20000), "sheets", (0.3, 1.2)),
        L("달팽이 점액 에센스", "Snail mucin essence", "330499", "snail, essence, repair, 달팽이, 에센스",
          "달팽이 점액 여과물 92% 함유 재생 에센스", "Repairing essence with 92% snail secretion filtrate",
          (500, 5000), "pcs", (3.0, 8.0)),
        L("톤업 선크림 SPF50+", "Tone-up sunscreen SPF50+", "330499", "sunscreen, sun cream, spf50, uv, 선크림, 자외선 차단",
          "백탁 없이 가볍게 발리는 무기자차 톤업 선크림", "Light mineral tone-up sunscreen that leaves no white cast",
          (500, 5000), "pcs", (3.0, 7.5)),
        L("쿠션 파운데이션", "Cushion foundation", "330499", "cushion, foundation, make-up, 쿠션, 파운데이션",
          "촉촉한 광채 마무리의 커버력 좋은 쿠션 파운데이션, 리필 포함", "Dewy, high-coverage cushion foundation with a refill",
          (500, 3000), "pcs", (5.0, 12.0)),
        L("벨벳 립 틴트", "Velvet lip tint", "330410", "lip tint, lipstick, lip, 립틴트, 립",
          "가볍게 밀착되어 오래 지속되는 벨벳 립 틴트", "Long-lasting velvet lip tint with a light, weightless feel",
          (1000, 10000), "pcs", (1.2, 4.0)),
        L("워터프루프 아이라이너", "Waterproof eyeliner", "330420", "eyeliner, eye make-up, 아이라이너",
          "번짐 없는 워터프루프 붓펜 아이라이너", "Smudge-proof waterproof brush-pen eyeliner",
          (1000, 10000), "pcs", (1.0, 3.5)),
        L("젤 네일 폴리시", "Gel nail polish", "330430", "nail, gel polish, manicure, 네일, 젤네일",
          "램프 없이 굳는 셀프 젤 네일 폴리시", "Self-curing gel nail polish, no lamp needed",
          (500, 5000), "pcs", (1.0, 3.0)),
        L("탈모 증상 완화 샴푸", "Hair-loss care shampoo", "330510", "shampoo, hair loss, scalp, 탈모, 샴푸, 두피",
          "비오틴과 판테놀을 담은 탈모 증상 완화 기능성 샴푸", "Functional hair-loss care shampoo with biotin and panthenol",
          (500, 5000), "bottles", (3.0, 8.0)),
        L("단백질 헤어 트리트먼트", "Protein hair treatment", "330590", "hair treatment, hair mask, protein, 트리트먼트, 헤어",
          "손상모를 위한 케라틴 단백질 헤어 트리트먼트", "Keratin protein treatment for damaged hair",
          (500, 5000), "pcs", (2.5, 7.0)),
        L("새치 염색약", "Grey-coverage hair dye", "330590", "hair dye, hair colour, 염색약, 새치",
          "암모니아 없이 5분 만에 물드는 새치 염색약", "Ammonia-free grey-coverage hair dye that colours in five minutes",
          (500, 5000), "boxes", (2.0, 6.0)),
        L("약산성 클렌징 폼", "Low-pH cleansing foam", "340130", "cleanser, cleansing foam, 클렌징, 폼클렌징",
          "피부 장벽을 지키는 약산성 클렌징 폼", "Low-pH cleansing foam that protects the skin barrier",
          (500, 5000), "pcs", (2.0, 5.0)),
        L("니치 향수", "Niche eau de parfum", "330300", "perfume, fragrance, 향수",
          "서울의 계절을 담은 니치 오 드 퍼퓸", "Niche eau de parfum inspired by Seoul's seasons",
          (200, 2000), "pcs", (8.0, 25.0)),
        L("전문가용 고데기", "Professional hair straightener", "851632", "hair straightener, flat iron, 고데기",
          "세라믹 코팅 판과 온도 조절 기능을 갖춘 전문가용 고데기", "Professional flat iron with ceramic plates and temperature control",
          (100, 1000), "units", (12.0, 35.0), (("", ""), ("블랙", "black"), ("핑크", "pink"), ("프리볼트", "dual voltage"))),
        L("LED 피부 관리 마스크", "LED skin-care mask", "854370", "led mask, beauty device, 뷰티 디바이스, LED",
          "적색·근적외선 LED로 탄력을 관리하는 홈케어 마스크", "Home-care mask using red and near-infrared LEDs for firmer skin",
          (100, 1000), "units", (45.0, 150.0), (("", ""), ("2세대", "2nd gen"), ("프로", "Pro"))),
        L("메이크업 브러시 세트", "Make-up brush set", "960329", "brush, make-up brush, 브러시",
          "비건 인조모 메이크업 브러시 7종 세트", "Seven-piece vegan synthetic-hair make-up brush set",
          (300, 3000), "sets", (3.0, 9.0), (("", ""), ("여행용", "travel"), ("전문가용", "professional"))),
    ),
    variants=(("", ""), ("50ml", "50 ml"), ("100ml", "100 ml"), ("대용량", "large size"), ("미니어처", "miniature"),
              ("기획 세트", "gift set"), ("민감 피부용", "for sensitive skin"), ("비건", "vegan"), ("리필", "refill")),
    company_suffixes=(("코스메틱", "Cosmetics"), ("뷰티", "Beauty"), ("랩", "Lab"), ("바이오", "Bio"), ("스킨케어", "Skincare"),
                      ("헤어", "Hair")),
    certifications={"cpnp": 0.35, "halal": 0.25, "iso-22716": 0.45, "vegan": 0.2, "fda": 0.25, "thai-fda": 0.15,
                    "mfds": 0.3, "gmp": 0.3},
    target_countries=("TH", "MY", "VN", "CN", "JP", "US", "SG", "ID", "PH", "AE", "FR"),
    strengths=(("자체 연구소에서 처방을 개발하고 ODM·OEM 생산도 합니다", "Our own lab develops formulas, and we take ODM/OEM orders"),
               ("피부과 임상 시험으로 효능을 검증했습니다", "Efficacy is verified in dermatological clinical trials"),
               ("동남아 드럭스토어 입점 경험이 있습니다", "Our products are already on drugstore shelves in Southeast Asia"),
               ("할랄·비건 시장을 위한 처방을 갖추고 있습니다", "We have formulas ready for halal and vegan markets")),
    buyer_words=("Beauty", "Cosmetics", "Glow", "Skin Care", "K-Beauty"),
)

MEDICAL = SectorVocabulary(
    code="medical",
    product_lines=(
        L("비접촉 적외선 체온계", "Non-contact infrared thermometer", "902519", "thermometer, infrared, fever, 체온계, 비접촉",
          "1초 만에 이마 온도를 재는 비접촉 적외선 체온계", "Non-contact infrared forehead thermometer with a one-second reading",
          (500, 5000), "units", (6.0, 18.0)),
        L("귀 적외선 체온계", "Infrared ear thermometer", "902519", "thermometer, ear, 체온계, 귀",
          "위생 필터캡을 쓰는 가정용 귀 적외선 체온계", "Home infrared ear thermometer with hygienic probe covers",
          (500, 5000), "units", (8.0, 20.0)),
        L("KF94 마스크", "KF94 mask", "630790", "kf94, mask, face mask, respirator, 마스크, 방역",
          "식약처 허가 4중 필터 KF94 보건용 마스크, 개별 포장", "MFDS-approved four-layer KF94 respirator mask, individually wrapped",
          (10000, 200000), "pcs", (0.08, 0.3)),
        L("덴탈 마스크", "Dental mask", "630790", "dental mask, surgical mask, 덴탈마스크, 마스크",
          "비말을 막는 3중 구조 일회용 덴탈 마스크", "Three-ply disposable dental mask that blocks droplets",
          (20000, 200000), "pcs", (0.03, 0.1)),
        L("코로나19 항원 신속진단키트", "COVID-19 rapid antigen test kit", "382219",
          "covid-19, antigen, rapid test, diagnostic kit, 진단키트, 코로나",
          "15분 안에 결과를 확인하는 코로나19 항원 신속진단키트", "COVID-19 rapid antigen test kit with results in 15 minutes",
          (1000, 50000), "tests", (1.5, 5.0)),
        L("실시간 PCR 진단키트", "Real-time PCR diagnostic kit", "382219", "pcr, molecular diagnostics, diagnostic kit, 진단키트, 분자진단",
          "여러 표적 유전자를 한 번에 검출하는 실시간 PCR 진단키트", "Real-time PCR kit that detects several target genes in one run",
          (100, 5000), "tests", (4.0, 12.0)),
        L("손 소독제", "Hand sanitiser gel", "380894", "hand sanitizer, sanitiser, disinfectant, 손소독제, 소독",
          "에탄올 70% 함유 보습 손 소독 겔", "Moisturising hand sanitiser gel with 70% ethanol",
          (1000, 20000), "bottles", (0.8, 3.0)),
        L("니트릴 검사 장갑", "Nitrile examination gloves", "401512", "gloves, nitrile, examination, 장갑, 니트릴",
          "파우더 프리 일회용 니트릴 검사 장갑 100매", "Powder-free disposable nitrile examination gloves, box of 100",
          (500, 10000), "boxes", (3.0, 8.0)),
        L("일회용 방호복", "Disposable protective coverall", "621010", "protective suit, coverall, ppe, 방호복",
          "부직포 소재 전신 일회용 방호복", "Full-body disposable protective coverall of non-woven fabric",
          (1000, 20000), "pcs", (2.0, 7.0)),
        L("자동 전자 혈압계", "Automatic blood pressure monitor", "901890", "blood pressure, monitor, 혈압계",
          "부정맥 감지 기능이 있는 팔뚝형 자동 전자 혈압계", "Upper-arm automatic blood pressure monitor with arrhythmia detection",
          (200, 3000), "units", (15.0, 45.0)),
        L("핑거형 산소포화도 측정기", "Fingertip pulse oximeter", "901819", "pulse oximeter, spo2, oximeter, 산소포화도",
          "OLED 화면의 핑거형 산소포화도·맥박 측정기", "Fingertip pulse oximeter with an OLED display for SpO2 and pulse",
          (500, 5000), "units", (6.0, 18.0)),
        L("일회용 안전 주사기", "Single-use safety syringe", "901831", "syringe, safety syringe, 주사기",
          "바늘 재사용을 막는 일회용 안전 주사기", "Single-use safety syringe that prevents needle reuse",
          (10000, 200000), "pcs", (0.05, 0.25)),
        L("휴대용 메시 네뷸라이저", "Portable mesh nebuliser", "901920", "nebulizer, nebuliser, respiratory, 네뷸라이저",
          "조용한 메시 방식 휴대용 네뷸라이저", "Quiet, portable mesh nebuliser",
          (200, 2000), "units", (20.0, 60.0)),
        L("휴대용 초음파 진단기", "Handheld ultrasound scanner", "901812", "ultrasound, scanner, point of care, 초음파",
          "스마트폰·태블릿에 연결하는 무선 휴대용 초음파 진단기", "Wireless handheld ultrasound scanner that connects to a phone or tablet",
          (5, 100), "units", (1500.0, 6000.0), (("", ""), ("선형 프로브", "linear probe"), ("볼록 프로브", "convex probe"))),
        L("습윤 드레싱 밴드", "Hydrocolloid wound dressing", "300510", "wound dressing, hydrocolloid, bandage, 밴드, 드레싱",
          "상처를 촉촉하게 보호하는 하이드로콜로이드 습윤 드레싱", "Hydrocolloid dressing that keeps wounds moist while they heal",
          (1000, 20000), "pcs", (0.1, 0.6)),
        L("UV-C 살균 캐비닛", "UV-C steriliser cabinet", "841920", "uv sterilizer, steriliser, disinfection, 살균기",
          "병원·가정용 UV-C LED 살균 캐비닛", "UV-C LED sterilising cabinet for clinics and homes",
          (50, 1000), "units", (40.0, 150.0)),
    ),
    variants=(("", ""), ("병원용", "hospital grade"), ("가정용", "home use"), ("수출 포장", "export packaging"),
              ("대량 포장", "bulk pack"), ("소아용", "paediatric")),
    company_suffixes=(("메디칼", "Medical"), ("헬스케어", "Healthcare"), ("메디텍", "Meditech"), ("바이오", "Biotech"),
                      ("진단", "Diagnostics")),
    certifications={"fda": 0.5, "iso-13485": 0.6, "ce": 0.5, "mfds": 0.7, "gmp": 0.3, "iso-9001": 0.3},
    target_countries=("US", "DE", "FR", "JP", "VN", "ID", "AE", "SA", "IN", "GB", "KZ"),
    strengths=(("FDA 등록과 CE 인증을 마쳐 미국·유럽 조달에 바로 참여할 수 있습니다", "FDA-registered and CE-marked, ready for US and EU procurement"),
               ("월 1,000만 개 생산 설비를 갖추고 있습니다", "Our lines make ten million units a month"),
               ("국내 대학병원에 공급한 실적이 있습니다", "We supply Korean university hospitals"),
               ("UN 조달 시장 등록 업체입니다", "We are registered as a UN procurement supplier")),
    buyer_words=("Medical", "Health", "MedSupply", "Care", "Pharma"),
)

FOOD = SectorVocabulary(
    code="food",
    product_lines=(
        L("포기김치", "Whole-cabbage kimchi", "200599", "kimchi, fermented, 김치, 배추김치",
          "국산 배추와 고춧가루로 담근 전통 포기김치", "Traditional whole-cabbage kimchi made with Korean cabbage and chilli flakes",
          (500, 10000), "kg", (3.0, 7.0)),
        L("비건 김치", "Vegan kimchi", "200599", "kimchi, vegan, 김치, 비건",
          "젓갈 없이 담근 비건 김치", "Vegan kimchi made without fish sauce",
          (500, 5000), "kg", (3.5, 8.0)),
        L("유자차", "Yuja tea", "210690", "yuja, yuzu, citron tea, 유자차, 차",
          "고흥산 유자를 꿀에 재운 유자차", "Goheung yuja citron preserved in honey, to stir into hot water",
          (1000, 10000), "jars", (2.5, 6.0)),
        L("조미김", "Seasoned laver snack", "200899", "seaweed, laver, gim, snack, 김, 조미김",
          "참기름과 천일염으로 구운 도시락 조미김", "Seasoned laver roasted with sesame oil and sea salt, in snack packs",
          (1000, 20000), "packs", (0.3, 1.2)),
        L("김밥용 마른 김", "Dried laver for gimbap", "121221", "laver, seaweed, nori, gim, 김, 마른김",
          "서해안 청정 해역에서 자란 김밥용 마른 김 100매", "Dried laver sheets for gimbap from the clean west coast, 100 sheets a pack",
          (1000, 20000), "packs", (0.5, 2.0)),
        L("고추장", "Gochujang (red chilli paste)", "210390", "gochujang, chilli paste, sauce, 고추장, 장류",
          "찹쌀과 태양초로 빚은 전통 고추장", "Traditional gochujang fermented from glutinous rice and sun-dried chillies",
          (500, 10000), "kg", (2.5, 6.0)),
        L("양조간장", "Naturally brewed soy sauce", "210310", "soy sauce, sauce, 간장",
          "6개월 자연 숙성한 양조간장", "Soy sauce naturally brewed for six months",
          (1000, 10000), "bottles", (1.5, 4.0)),
        L("홍삼 스틱", "Korean red ginseng stick", "210690", "red ginseng, ginseng, health food, 홍삼, 인삼",
          "6년근 홍삼 농축액을 담은 휴대용 스틱", "On-the-go sticks of six-year-old Korean red ginseng extract",
          (500, 5000), "boxes", (12.0, 35.0)),
        L("인삼 에너지 음료", "Ginseng energy drink", "220299", "ginseng drink, energy drink, beverage, 음료, 인삼",
          "인삼 추출물을 넣은 무탄산 에너지 음료", "Still energy drink with ginseng extract",
          (2000, 30000), "cans", (0.4, 1.2)),
        L("매운 볶음 라면", "Spicy stir-fried ramyeon", "190230", "ramen, ramyeon, noodles, instant, 라면",
          "매운 소스에 비벼 먹는 볶음 라면", "Instant stir-fried ramyeon with a fiery sauce",
          (2000, 50000), "packs", (0.4, 1.0)),
        L("떡볶이 밀키트", "Tteokbokki meal kit", "190590", "tteokbokki, rice cake, meal kit, 떡볶이, 밀키트",
          "쌀떡과 소스를 담은 2인분 떡볶이 밀키트", "Two-serving tteokbokki kit of rice cakes and sauce",
          (1000, 10000), "packs", (1.5, 4.0)),
        L("전통 약과", "Yakgwa honey cookies", "190590", "yakgwa, traditional snack, cookie, 약과, 한과",
          "꿀과 참기름으로 만든 전통 약과", "Traditional Korean cookies made with honey and sesame oil",
          (1000, 10000), "boxes", (2.0, 6.0)),
        L("부산 어묵", "Busan fish cake", "160420", "fish cake, eomuk, 어묵",
          "연육 함량 70% 이상의 부산식 어묵", "Busan-style fish cake with over 70% fish meat",
          (500, 5000), "kg", (3.0, 7.0)),
        L("아카시아 꿀", "Acacia honey", "040900", "honey, acacia, 꿀",
          "국내산 100% 아카시아 벌꿀", "100% Korean acacia honey",
          (500, 5000), "jars", (5.0, 14.0)),
        L("보성 녹차 티백", "Boseong green tea bags", "090210", "green tea, tea bag, tea, 녹차",
          "보성 찻잎으로 만든 티백 녹차", "Green tea bags from Boseong tea leaves",
          (1000, 10000), "boxes", (2.0, 6.0)),
        L("즉석밥", "Microwavable cooked rice", "190490", "rice, cooked rice, instant rice, 즉석밥, 햇반",
          "전자레인지에 2분이면 완성되는 국산 쌀 즉석밥", "Korean rice, ready in two minutes in the microwave",
          (2000, 30000), "packs", (0.6, 1.5)),
    ),
    variants=(("", ""), ("가정용", "family pack"), ("소포장", "single serve"), ("선물 세트", "gift set"), ("수출용", "export edition"),
              ("유기농", "organic"), ("저염", "low sodium")),
    company_suffixes=(("식품", "Foods"), ("푸드", "Food"), ("농산", "Farms"), ("에프앤비", "F&B"), ("식품공업", "Food Industries")),
    certifications={"haccp": 0.7, "halal": 0.3, "fda": 0.35, "iso-9001": 0.2, "vegan": 0.1},
    target_countries=("US", "CN", "JP", "VN", "SG", "MY", "TH", "AU", "CA", "AE", "ID"),
    strengths=(("HACCP 인증 공장에서 생산합니다", "Made in a HACCP-certified plant"),
               ("할랄 인증을 받아 이슬람권에 수출합니다", "Halal-certified and exported to Muslim markets"),
               ("미국 대형마트에 입점해 있습니다", "Stocked by large US supermarket chains"),
               ("유통기한 12개월의 상온 제품입니다", "Shelf-stable for twelve months at room temperature")),
    buyer_words=("Foods", "Fresh Mart", "Gourmet", "Food Trading", "Asian Grocery"),
)

HOUSEHOLD = SectorVocabulary(
    code="household",
    product_lines=(
        L("스테인리스 진공 텀블러", "Stainless steel vacuum tumbler", "961700", "tumbler, vacuum, stainless, thermos, 텀블러, 보온",
          "12시간 보온·보냉되는 이중 진공 스테인리스 텀블러", "Double-wall vacuum stainless tumbler that keeps drinks hot or cold for 12 hours",
          (500, 5000), "pcs", (4.0, 12.0)),
        L("보온 도시락", "Insulated lunch jar", "961700", "lunch box, food jar, 도시락, 보온",
          "따뜻한 국물 요리를 6시간 유지하는 보온 도시락", "Insulated food jar that keeps soup warm for six hours",
          (500, 5000), "pcs", (6.0, 15.0)),
        L("친환경 주방세제", "Eco dish detergent", "340290", "dish soap, detergent, dishwashing, 주방세제, 세제",
          "과일·채소도 씻을 수 있는 식물성 주방세제", "Plant-based dish detergent safe for washing fruit and vegetables",
          (1000, 10000), "bottles", (1.0, 3.0)),
        L("고농축 세탁세제", "Concentrated laundry detergent", "340290", "laundry, detergent, 세탁세제, 세제",
          "적은 양으로 세탁되는 고농축 액체 세탁세제", "Concentrated liquid laundry detergent; a little goes a long way",
          (1000, 10000), "bottles", (2.0, 6.0)),
        L("트라이탄 밀폐용기", "Tritan airtight food container", "392410", "food container, storage, airtight, 밀폐용기",
          "전자레인지·식기세척기에 쓸 수 있는 트라이탄 밀폐용기", "Microwave- and dishwasher-safe Tritan airtight food container",
          (1000, 10000), "sets", (2.0, 7.0)),
        L("실리콘 조리도구 세트", "Silicone kitchen utensil set", "392410", "silicone, utensils, spatula, 조리도구, 실리콘",
          "내열 실리콘 주걱·뒤집개 조리도구 세트", "Heat-resistant silicone spatula and turner set",
          (500, 5000), "sets", (3.0, 9.0)),
        L("미세모 칫솔", "Ultra-fine bristle toothbrush", "960321", "toothbrush, 칫솔",
          "잇몸을 자극하지 않는 0.01mm 미세모 칫솔", "Toothbrush with 0.01 mm bristles that are gentle on gums",
          (2000, 20000), "pcs", (0.3, 1.2)),
        L("잇몸 케어 치약", "Gum-care toothpaste", "330610", "toothpaste, oral care, 치약",
          "죽염과 프로폴리스를 담은 잇몸 케어 치약", "Gum-care toothpaste with bamboo salt and propolis",
          (2000, 20000), "tubes", (0.8, 2.5)),
        L("순면 아기 물티슈", "Cotton baby wet wipes", "330790", "wet wipes, baby wipes, 물티슈",
          "정제수 99%의 순면 아기 물티슈 80매", "Cotton baby wet wipes with 99% purified water, 80 sheets",
          (2000, 20000), "packs", (0.8, 2.0)),
        L("스테인리스 냄비 세트", "Stainless steel cookware set", "732393", "pot, cookware, stainless, 냄비",
          "3중 바닥 스테인리스 냄비 4종 세트", "Four-piece tri-ply stainless steel cookware set",
          (200, 2000), "sets", (25.0, 70.0)),
        L("인덕션 프라이팬", "Induction frying pan", "761510", "frying pan, non-stick, induction, 프라이팬",
          "인덕션 겸용 세라믹 코팅 프라이팬", "Ceramic-coated frying pan for induction and gas hobs",
          (300, 3000), "pcs", (6.0, 18.0)),
        L("호텔식 순면 타월", "Hotel cotton towel", "630260", "towel, cotton, bath towel, 수건, 타월",
          "40수 순면으로 짠 호텔식 타월", "Hotel-style towel woven from 40-count cotton",
          (1000, 10000), "pcs", (1.5, 5.0)),
        L("초음파 가습기", "Ultrasonic humidifier", "850980", "humidifier, 가습기",
          "세척이 쉬운 상부 급수식 초음파 가습기", "Easy-clean, top-fill ultrasonic humidifier",
          (200, 2000), "units", (12.0, 35.0), _DEVICE_VARIANTS),
        L("HEPA 공기청정기", "HEPA air purifier", "842139", "air purifier, hepa, 공기청정기",
          "H13 HEPA 필터의 저소음 공기청정기", "Quiet air purifier with an H13 HEPA filter",
          (100, 1000), "units", (40.0, 150.0), _DEVICE_VARIANTS),
        L("적층 수납함", "Stackable storage box", "392490", "storage box, organiser, 수납함, 정리함",
          "쌓아 쓰는 투명 리빙 수납함", "Clear stackable storage box for the home",
          (500, 5000), "pcs", (2.0, 6.0)),
    ),
    variants=(("", ""), ("화이트", "white"), ("블랙", "black"), ("민트", "mint"), ("대형", "large"), ("소형", "small"),
              ("4종 세트", "set of 4"), ("리필", "refill")),
    company_suffixes=(("리빙", "Living"), ("홈", "Home"), ("생활건강", "Life & Health"), ("산업", "Industries"), ("하우스", "House")),
    certifications={"kc": 0.6, "ce": 0.3, "iso-9001": 0.3, "fda": 0.15, "rohs": 0.1},
    target_countries=("VN", "US", "JP", "CN", "TH", "PH", "ID", "MY", "MN", "KZ", "UZ"),
    strengths=(("디자인 특허를 가진 제품을 직접 생산합니다", "We make our own design-patented products"),
               ("베트남 대형마트와 온라인몰에 납품하고 있습니다", "We supply Vietnamese hypermarkets and online malls"),
               ("소량 OEM 주문도 받습니다", "We accept small OEM orders"),
               ("친환경 소재만 사용합니다", "We use only eco-friendly materials")),
    buyer_words=("Home", "Living", "Housewares", "Home Goods", "Lifestyle"),
)

IT_ICT = SectorVocabulary(
    code="it-ict",
    product_lines=(
        L("노이즈캔슬링 블루투스 이어폰", "Noise-cancelling Bluetooth earbuds", "851830",
          "earbuds, bluetooth, tws, anc, earphones, 이어폰, 블루투스",
          "하이브리드 ANC를 갖춘 완전 무선 블루투스 이어폰", "True wireless Bluetooth earbuds with hybrid active noise cancelling",
          (500, 5000), "units", (12.0, 40.0)),
        L("무선 헤드폰", "Wireless over-ear headphones", "851830", "headphones, wireless, bluetooth, 헤드폰",
          "40시간 재생되는 접이식 무선 헤드폰", "Foldable wireless headphones with 40 hours of playback",
          (300, 3000), "units", (20.0, 60.0)),
        L("휴대용 블루투스 스피커", "Portable Bluetooth speaker", "851821", "speaker, bluetooth, portable, 스피커",
          "IPX7 방수 휴대용 블루투스 스피커", "IPX7 waterproof portable Bluetooth speaker",
          (300, 3000), "units", (10.0, 35.0)),
        L("IoT 환경 센서", "IoT environmental sensor", "851762", "iot, sensor, lorawan, zigbee, 센서",
          "온습도·CO2·미세먼지를 측정하는 LoRaWAN IoT 센서", "LoRaWAN IoT sensor measuring temperature, humidity, CO2 and fine dust",
          (100, 2000), "units", (15.0, 60.0)),
        L("스마트 도어락", "Smart door lock", "830140", "door lock, smart lock, fingerprint, 도어락",
          "지문·카드·앱으로 여는 스마트 도어락", "Smart door lock that opens by fingerprint, card or app",
          (200, 2000), "units", (45.0, 140.0)),
        L("고속 충전 보조배터리", "Fast-charging power bank", "850760", "power bank, battery, usb-c, 보조배터리",
          "PD 65W 고속 충전 10,000mAh 보조배터리", "10,000 mAh power bank with 65 W USB-C PD fast charging",
          (1000, 10000), "units", (6.0, 20.0)),
        L("무선 충전 패드", "Wireless charging pad", "850440", "wireless charger, qi, charger, 충전기, 무선충전",
          "Qi2 인증 15W 무선 충전 패드", "Qi2-certified 15 W wireless charging pad",
          (1000, 10000), "units", (4.0, 14.0)),
        L("4K 액션캠", "4K action camera", "852589", "action camera, 4k, camera, 액션캠, 카메라",
          "손떨림 보정 4K60 방수 액션캠", "Waterproof 4K60 action camera with image stabilisation",
          (200, 2000), "units", (35.0, 110.0)),
        L("차량용 블랙박스", "Dashcam", "852589", "dashcam, dash cam, car camera, 블랙박스",
          "전후방 QHD 2채널 차량용 블랙박스", "Two-channel front and rear QHD dashcam",
          (300, 3000), "units", (30.0, 90.0)),
        L("엣지 AI 반도체 칩", "Edge AI processor chip", "854231", "ai chip, npu, semiconductor, processor, 반도체, 칩",
          "저전력 온디바이스 추론용 NPU 반도체 칩", "Low-power NPU chip for on-device AI inference",
          (1000, 50000), "pcs", (3.0, 25.0), (("", ""), ("개발 키트", "dev kit"), ("산업용", "industrial grade"))),
        L("산업용 터치 모니터", "Industrial touch monitor", "852852", "monitor, touchscreen, industrial, 모니터",
          "방진·방수 IP65 산업용 터치 모니터", "Dust- and water-proof IP65 industrial touch monitor",
          (50, 500), "units", (150.0, 450.0), (("", ""), ("15인치", "15 inch"), ("21.5인치", "21.5 inch"))),
        L("헬스케어 스마트워치", "Health-tracking smartwatch", "851762", "smartwatch, wearable, watch, 스마트워치",
          "심박·수면·산소포화도를 재는 스마트워치", "Smartwatch that tracks heart rate, sleep and SpO2",
          (300, 3000), "units", (25.0, 80.0)),
        L("기계식 키보드", "Mechanical keyboard", "847160", "keyboard, mechanical, 키보드",
          "핫스왑 지원 저소음 기계식 키보드", "Quiet, hot-swappable mechanical keyboard",
          (300, 3000), "units", (20.0, 70.0)),
        L("러기드 태블릿", "Rugged tablet PC", "847130", "tablet, rugged, 태블릿",
          "1.5m 낙하에도 견디는 현장용 러기드 태블릿", "Field rugged tablet that survives 1.5 m drops",
          (50, 500), "units", (180.0, 500.0)),
        L("촬영용 드론", "Camera drone", "880622", "drone, camera drone, 드론",
          "4K 짐벌 카메라를 단 접이식 촬영용 드론", "Foldable camera drone with a 4K gimbal camera",
          (50, 500), "units", (120.0, 400.0)),
        L("Wi-Fi 스마트 플러그", "Wi-Fi smart plug", "853650", "smart plug, wifi, smart home, 스마트플러그",
          "전력량을 측정하는 Wi-Fi 스마트 플러그", "Wi-Fi smart plug with energy monitoring",
          (1000, 10000), "units", (3.0, 10.0)),
    ),
    variants=_DEVICE_VARIANTS + (("B2B 벌크", "bulk B2B pack"),),
    company_suffixes=(("테크", "Tech"), ("전자", "Electronics"), ("시스템", "Systems"), ("네트웍스", "Networks"),
                      ("이노베이션", "Innovation"), ("소프트", "Soft")),
    certifications={"kc": 0.7, "ce": 0.55, "fcc": 0.45, "rohs": 0.35, "ul": 0.15, "iso-9001": 0.25},
    target_countries=("US", "JP", "DE", "VN", "IN", "SG", "TW", "GB", "AE", "UZ", "FR"),
    strengths=(("KC·CE·FCC 인증을 모두 갖췄습니다", "KC, CE and FCC certified"),
               ("자체 펌웨어와 앱을 개발합니다", "We develop our own firmware and apps"),
               ("CES 혁신상을 받았습니다", "Winner of a CES Innovation Award"),
               ("해외 통신사에 공급한 실적이 있습니다", "We supply overseas telecom operators")),
    buyer_words=("Electronics", "Tech", "Digital", "Smart Devices", "IT Solutions"),
)

SECTOR_VOCABULARIES: dict[str, SectorVocabulary] = {v.code: v for v in (IT_ICT, MEDICAL, BEAUTY, FOOD, HOUSEHOLD)}


def vocabulary_hs_codes() -> list[str]:
    """Every HS subheading the vocabularies use (the seeder checks they exist in the nomenclature)."""
    return sorted({line.hs_code for v in SECTOR_VOCABULARIES.values() for line in v.product_lines})


# Company names: Korean word + sector word, with the romanisation the company uses abroad.
_NAME_STEMS = (
    ("한빛", "Hanbit"), ("새롬", "Saerom"), ("다온", "Daon"), ("가온", "Gaon"), ("미르", "Mir"), ("누리", "Nuri"),
    ("하늘", "Haneul"), ("푸른", "Pureun"), ("솔빛", "Solbit"), ("아름", "Areum"), ("은하", "Eunha"), ("청담", "Cheongdam"),
    ("성수", "Seongsu"), ("마포", "Mapo"), ("강서", "Gangseo"), ("여의", "Yeoui"), ("한강", "Hangang"), ("남산", "Namsan"),
    ("북촌", "Bukchon"), ("세움", "Seum"), ("이음", "Ieum"), ("나래", "Narae"), ("라온", "Raon"), ("해솔", "Haesol"),
    ("별빛", "Byeolbit"), ("초록", "Chorok"), ("단비", "Danbi"), ("바른", "Bareun"), ("한결", "Hangyeol"), ("온담", "Ondam"),
    ("수안", "Suan"), ("도담", "Dodam"), ("예담", "Yedam"), ("미래", "Mirae"), ("한울", "Hanul"), ("지음", "Jieum"),
    ("나눔", "Nanum"), ("소담", "Sodam"), ("아라", "Ara"), ("보담", "Bodam"), ("채움", "Chaeum"), ("든솔", "Deunsol"),
    ("새빛", "Saebit"), ("한솔", "Hansol"), ("다솜", "Dasom"), ("온누리", "Onnuri"), ("해든", "Haedeun"), ("윤슬", "Yunseul"),
    ("여울", "Yeoul"), ("마루", "Maru"), ("가람", "Garam"), ("빛고을", "Bitgoeul"), ("서울", "Seoul"), ("K", "K"),
)
_SEOUL_DISTRICTS = (
    ("강서구", "Gangseo-gu"), ("금천구", "Geumcheon-gu"), ("구로구", "Guro-gu"), ("성동구", "Seongdong-gu"), ("마포구", "Mapo-gu"),
    ("영등포구", "Yeongdeungpo-gu"), ("송파구", "Songpa-gu"), ("강남구", "Gangnam-gu"), ("중구", "Jung-gu"), ("종로구", "Jongno-gu"),
    ("성북구", "Seongbuk-gu"), ("서초구", "Seocho-gu"), ("동대문구", "Dongdaemun-gu"), ("용산구", "Yongsan-gu"),
    ("노원구", "Nowon-gu"), ("양천구", "Yangcheon-gu"), ("광진구", "Gwangjin-gu"),
)
# Seoul tax offices' codes: the first three digits of a Seoul company's registration number.
_SEOUL_TAX_OFFICES = (101, 104, 105, 106, 107, 108, 109, 110, 113, 114, 117, 119, 120, 201, 203, 204, 206, 207, 209,
                      210, 211, 212, 214, 215, 217, 220)
_CORPORATION_TYPES = (81, 86, 87, 88)  # the BRN's middle digits for a corporation (주식회사)
_SOLE_PROPRIETOR_TYPES = tuple(range(1, 80))


@dataclass(frozen=True)
class BuyerCountry:
    code: str
    count: int  # buyers from this country in the demo; the counts sum to DEMO_BUYER_COUNT
    cities: tuple[tuple[str, str], ...]  # (city, IANA time zone)
    languages: tuple[str, ...]
    legal_suffixes: tuple[str, ...]
    stems: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    calling_code: str
    # sector code -> weight of buyers interested in it; the fairs' focus shows here
    sector_weights: dict[str, int] = field(default_factory=lambda: {"beauty": 3, "food": 3, "household": 2, "medical": 2, "it-ict": 2})


_ASEAN_EN = ("David", "Michelle", "Kevin", "Grace", "Daniel", "Joanne")
BUYER_COUNTRIES = (
    BuyerCountry("US", 118, (("New York", "America/New_York"), ("Los Angeles", "America/Los_Angeles"), ("Chicago", "America/Chicago"),
                            ("Houston", "America/Chicago"), ("Seattle", "America/Los_Angeles"), ("Atlanta", "America/New_York"),
                            ("Boston", "America/New_York")),
                 ("en",), ("Inc.", "LLC", "Corp."), ("Pacific", "Liberty", "Summit", "Evergreen", "Atlantic", "Golden Gate", "Lakeshore", "Empire"),
                 ("Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley", "Brian"),
                 ("Johnson", "Kim", "Garcia", "Miller", "Nguyen", "Patel", "Lee", "Brown"), "1",
                 {"medical": 10, "beauty": 3, "food": 3, "it-ict": 3, "household": 1}),
    BuyerCountry("TH", 62, (("Bangkok", "Asia/Bangkok"), ("Chiang Mai", "Asia/Bangkok"), ("Phuket", "Asia/Bangkok")),
                 ("th", "en"), ("Co., Ltd.",), ("Siam", "Chao Phraya", "Lanna", "Sukhumvit", "Bangkok", "Royal Orchid"),
                 ("Somchai", "Niran", "Pimchanok", "Siriporn", "Anan", "Kanya", "Thanawat", "Naree"),
                 ("Srisuk", "Chaiyaporn", "Wongsakul", "Rattanakorn", "Boonmee", "Saelim"), "66",
                 {"beauty": 10, "food": 3, "household": 2, "medical": 2, "it-ict": 1}),
    BuyerCountry("MY", 58, (("Kuala Lumpur", "Asia/Kuala_Lumpur"), ("Penang", "Asia/Kuala_Lumpur"), ("Johor Bahru", "Asia/Kuala_Lumpur"),
                            ("Kuching", "Asia/Kuching")),
                 ("ms", "en", "zh"), ("Sdn Bhd",), ("Petronas Bay", "Klang Valley", "Bunga Raya", "Merdeka", "Penang Pearl", "Borneo"),
                 ("Nurul", "Ahmad", "Siti", "Wei Ling", "Farah", "Hafiz", "Mei Ling", "Arjun"),
                 ("Abdullah", "Tan", "Ismail", "Lim", "Rahman", "Wong", "Raj"), "60",
                 {"beauty": 10, "food": 4, "household": 2, "medical": 2, "it-ict": 1}),
    BuyerCountry("VN", 58, (("Ho Chi Minh City", "Asia/Ho_Chi_Minh"), ("Hanoi", "Asia/Ho_Chi_Minh"), ("Da Nang", "Asia/Ho_Chi_Minh")),
                 ("vi", "en"), ("JSC", "Co., Ltd."), ("Saigon", "Mekong", "Hanoi Star", "Lotus", "Song Hong", "Ben Thanh"),
                 ("Minh", "Lan", "Huong", "Tuan", "Thao", "Duc", "Linh", "Quang"),
                 ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu"), "84",
                 {"household": 10, "beauty": 4, "food": 3, "it-ict": 2, "medical": 1}),
    BuyerCountry("JP", 12, (("Tokyo", "Asia/Tokyo"), ("Osaka", "Asia/Tokyo"), ("Fukuoka", "Asia/Tokyo")),
                 ("ja", "en"), ("K.K.", "Co., Ltd."), ("Sakura", "Fuji", "Nihonbashi", "Kansai", "Hikari", "Tsubasa"),
                 ("Haruto", "Yui", "Takeshi", "Aiko", "Kenji", "Mai"), ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Yamamoto"), "81"),
    BuyerCountry("CN", 14, (("Shanghai", "Asia/Shanghai"), ("Beijing", "Asia/Shanghai"), ("Guangzhou", "Asia/Shanghai"),
                            ("Shenzhen", "Asia/Shanghai")),
                 ("zh", "en"), ("Co., Ltd.", "Trading Co., Ltd."), ("Huaxia", "Pearl River", "Jade", "Golden Dragon", "Yangtze", "Xinhua"),
                 ("Wei", "Fang", "Lei", "Jing", "Hao", "Xiu"), ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang"), "86"),
    BuyerCountry("SG", 20, (("Singapore", "Asia/Singapore"),),
                 ("en", "zh", "ms"), ("Pte Ltd",), ("Lion City", "Marina", "Orchard", "Raffles", "Straits", "Temasek"),
                 _ASEAN_EN + ("Wei Jie", "Hui Min"), ("Tan", "Lim", "Ng", "Goh", "Chua", "Ong"), "65"),
    BuyerCountry("ID", 10, (("Jakarta", "Asia/Jakarta"), ("Surabaya", "Asia/Jakarta"), ("Denpasar", "Asia/Makassar")),
                 ("id", "en"), ("PT",), ("Nusantara", "Garuda", "Java", "Bali Indah", "Merah Putih", "Borobudur"),
                 ("Budi", "Siti", "Agus", "Dewi", "Rizky", "Putri"), ("Santoso", "Wijaya", "Saputra", "Hidayat", "Pratama"), "62",
                 {"beauty": 5, "food": 5, "medical": 2, "household": 2, "it-ict": 1}),
    BuyerCountry("DE", 8, (("Berlin", "Europe/Berlin"), ("Hamburg", "Europe/Berlin"), ("Frankfurt", "Europe/Berlin"),
                            ("Munich", "Europe/Berlin")),
                 ("de", "en"), ("GmbH",), ("Rhein", "Nordstern", "Alpen", "Hanse", "Spree"),
                 ("Lukas", "Anna", "Jonas", "Laura", "Felix"), ("Müller", "Schmidt", "Schneider", "Fischer", "Weber"), "49",
                 {"medical": 4, "it-ict": 3, "beauty": 2, "food": 1, "household": 1}),
    BuyerCountry("FR", 6, (("Paris", "Europe/Paris"), ("Lyon", "Europe/Paris"), ("Marseille", "Europe/Paris")),
                 ("fr", "en"), ("SAS", "SARL"), ("Lumière", "Rive Gauche", "Provence", "Étoile", "Seine"),
                 ("Camille", "Louis", "Chloé", "Hugo", "Léa"), ("Martin", "Bernard", "Dubois", "Laurent", "Moreau"), "33",
                 {"beauty": 4, "medical": 2, "food": 2, "it-ict": 1, "household": 1}),
    BuyerCountry("AE", 12, (("Dubai", "Asia/Dubai"), ("Abu Dhabi", "Asia/Dubai")),
                 ("ar", "en"), ("LLC", "FZE"), ("Gulf", "Emirates", "Al Noor", "Desert Rose", "Falcon", "Oasis"),
                 ("Ahmed", "Fatima", "Omar", "Aisha", "Khalid", "Mariam"), ("Al Mansouri", "Al Hashimi", "Khan", "Al Suwaidi", "Haddad"), "971",
                 {"beauty": 3, "food": 3, "medical": 3, "it-ict": 2, "household": 1}),
    BuyerCountry("PH", 14, (("Manila", "Asia/Manila"), ("Cebu", "Asia/Manila")),
                 ("fil", "en"), ("Inc.", "Corp."), ("Luzon", "Visayas", "Mabuhay", "Maharlika", "Pasig"),
                 ("Maria", "Jose", "Angelica", "Mark", "Kristine"), ("Santos", "Reyes", "Cruz", "Bautista", "Garcia"), "63"),
    BuyerCountry("IN", 12, (("Mumbai", "Asia/Kolkata"), ("New Delhi", "Asia/Kolkata"), ("Bengaluru", "Asia/Kolkata")),
                 ("hi", "en"), ("Pvt Ltd",), ("Indus", "Ganges", "Deccan", "Lotus", "Bharat"),
                 ("Rahul", "Priya", "Amit", "Anjali", "Vikram"), ("Sharma", "Patel", "Reddy", "Gupta", "Iyer"), "91",
                 {"it-ict": 3, "medical": 3, "beauty": 2, "household": 1, "food": 1}),
    BuyerCountry("AU", 10, (("Sydney", "Australia/Sydney"), ("Melbourne", "Australia/Melbourne"), ("Brisbane", "Australia/Brisbane")),
                 ("en",), ("Pty Ltd",), ("Southern Cross", "Harbour", "Coral", "Eucalypt", "Outback"),
                 ("Olivia", "Jack", "Charlotte", "Liam", "Mia"), ("Smith", "Wilson", "Taylor", "Anderson", "Park"), "61"),
    BuyerCountry("GB", 4, (("London", "Europe/London"), ("Manchester", "Europe/London")),
                 ("en",), ("Ltd",), ("Thames", "Albion", "Pennine", "Kensington", "Mersey"),
                 ("Oliver", "Amelia", "Harry", "Isla", "George"), ("Smith", "Jones", "Williams", "Taylor", "Davies"), "44"),
    BuyerCountry("CA", 8, (("Toronto", "America/Toronto"), ("Vancouver", "America/Vancouver")),
                 ("en", "fr"), ("Inc.", "Ltd."), ("Maple", "Northern Lights", "Great Lakes", "Pacific Rim", "Laurentian"),
                 ("Emma", "Noah", "Chloe", "Ethan", "Sophie"), ("Tremblay", "Roy", "Wilson", "Kim", "MacDonald"), "1"),
    BuyerCountry("SA", 4, (("Riyadh", "Asia/Riyadh"), ("Jeddah", "Asia/Riyadh")),
                 ("ar", "en"), ("Co.", "LLC"), ("Najd", "Red Sea", "Al Waha", "Hijaz", "Al Rawda"),
                 ("Abdullah", "Noura", "Faisal", "Reem", "Saud"), ("Al Qahtani", "Al Otaibi", "Al Harbi", "Al Ghamdi", "Al Zahrani"), "966",
                 {"medical": 3, "beauty": 3, "food": 3, "it-ict": 1, "household": 1}),
    BuyerCountry("MX", 6, (("Mexico City", "America/Mexico_City"), ("Guadalajara", "America/Mexico_City")),
                 ("es", "en"), ("S.A. de C.V.",), ("Azteca", "Sol", "Jalisco", "Maya", "Reforma"),
                 ("Alejandro", "Sofía", "Carlos", "Valentina", "Diego"), ("Hernández", "García", "Martínez", "López", "González"), "52"),
    BuyerCountry("KZ", 8, (("Almaty", "Asia/Almaty"), ("Astana", "Asia/Almaty")),
                 ("kk", "ru", "en"), ("LLP",), ("Steppe", "Altyn", "Tengri", "Silk Road", "Baiterek"),
                 ("Aigerim", "Nurlan", "Dana", "Yerlan", "Aliya"), ("Nurpeisov", "Akhmetov", "Sadykova", "Kim", "Bekova"), "7",
                 {"household": 3, "beauty": 3, "food": 2, "medical": 2, "it-ict": 1}),
    BuyerCountry("UZ", 6, (("Tashkent", "Asia/Tashkent"), ("Samarkand", "Asia/Samarkand")),
                 ("uz", "ru", "en"), ("LLC",), ("Samarkand", "Turon", "Registan", "Amu", "Silk Way"),
                 ("Dilshod", "Malika", "Jasur", "Nodira", "Rustam"), ("Karimov", "Yusupova", "Rakhimov", "Tashkentova", "Pak"), "998"),
    BuyerCountry("RU", 8, (("Moscow", "Europe/Moscow"), ("Vladivostok", "Asia/Vladivostok"), ("Saint Petersburg", "Europe/Moscow")),
                 ("ru", "en"), ("LLC",), ("Baikal", "Volga", "Neva", "Primorye", "Ural"),
                 ("Alexei", "Olga", "Dmitry", "Natalia", "Sergei"), ("Ivanov", "Smirnova", "Popov", "Kuznetsova", "Tsoi"), "7"),
    BuyerCountry("MN", 4, (("Ulaanbaatar", "Asia/Ulaanbaatar"),),
                 ("mn", "en"), ("LLC",), ("Khangai", "Tuul", "Gobi", "Altai"),
                 ("Bat-Erdene", "Oyunaa", "Ganbold", "Saraa"), ("Dorj", "Bold", "Enkhbayar", "Tsogt"), "976"),
    BuyerCountry("TW", 6, (("Taipei", "Asia/Taipei"), ("Kaohsiung", "Asia/Taipei")),
                 ("zh", "en"), ("Co., Ltd.",), ("Formosa", "Jade Mountain", "Harbor Light", "Sun Moon", "Tamsui"),
                 ("Chia-Hao", "Yu-Ting", "Chih-Ming", "Hsin-Yi", "Po-Wei"), ("Chen", "Lin", "Huang", "Chang", "Wu"), "886"),
)
_BUYER_TYPE_WEIGHTS = {
    BuyerType.IMPORTER: 30, BuyerType.DISTRIBUTOR: 30, BuyerType.WHOLESALER: 10, BuyerType.RETAILER: 12,
    BuyerType.ONLINE_MARKETPLACE: 10, BuyerType.AGENT: 5, BuyerType.PUBLIC_PROCUREMENT: 3,
}
_BUYER_BUSINESS_WORDS = ("Trading", "Distribution", "Supply", "Import", "Group", "Partners", "International")
_BUYER_CHANNELS = {
    BuyerType.IMPORTER: "local distributors and wholesalers",
    BuyerType.DISTRIBUTOR: "pharmacies, supermarkets and speciality stores",
    BuyerType.WHOLESALER: "independent shops across the country",
    BuyerType.RETAILER: "its own chain of stores",
    BuyerType.ONLINE_MARKETPLACE: "its online marketplace and live-commerce channels",
    BuyerType.AGENT: "retail clients who source from Korea through it",
    BuyerType.MANUFACTURER: "its own production lines",
    BuyerType.PUBLIC_PROCUREMENT: "public hospitals and government agencies",
}
_REJECTION_REASONS = (
    "We could not confirm the company registration: the trade licence number does not match the registry.",
    "The website and the email domain do not belong to the company named in the application.",
    "The application is from a private consumer, not an importer, distributor or retailer.",
    "This is a duplicate of a buyer account that is already verified; sign in with that one.",
)
# fmt: on
assert sum(c.count for c in BUYER_COUNTRIES) == DEMO_BUYER_COUNT
assert sum(DEMO_COMPANIES_PER_SECTOR.values()) == DEMO_COMPANY_COUNT


# --- Builders (unsaved rows; deterministic for a given Random) ---------------------------------


def business_registration_number(rng: random.Random, *, corporation: bool, taken: set[str]) -> str:
    """A fresh Seoul business registration number whose check digit passes the NTS rule."""
    while True:
        office = rng.choice(_SEOUL_TAX_OFFICES)
        kind = rng.choice(_CORPORATION_TYPES if corporation else _SOLE_PROPRIETOR_TYPES)
        body = f"{office:03d}{kind:02d}{rng.randrange(10000):04d}"
        check = next(d for d in "0123456789" if brn_check_digit_ok(body + d))
        number = f"{body[:3]}-{body[3:5]}-{body[5:]}{check}"
        if number not in taken:
            taken.add(number)
            return number


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


_PROPER_NOUNS = ("Busan", "Boseong", "Korean", "Tritan", "Goheung")


def _in_sentence(name: str) -> str:
    """A product name as it reads mid-sentence: "Centella calming cream" -> "centella calming cream",
    but "KF94 mask", "LED skin-care mask" and "Busan fish cake" keep their capitals."""
    first = name.split()[0]
    if first in _PROPER_NOUNS or any(ch.isupper() or ch.isdigit() for ch in first[1:]):
        return name
    return name[0].lower() + name[1:]


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


@dataclass
class CompanyDraft:
    company: Company
    certifications: list[str]
    product_lines: list[ProductLine]


@dataclass
class ProductDraft:
    product: Product
    certifications: list[str]


def build_companies(
    rng: random.Random, *, per_sector: dict[str, int], sectors: dict[str, Sector]
) -> list[CompanyDraft]:
    """Companies per sector, each with its specialty product lines and certifications."""
    drafts: list[CompanyDraft] = []
    taken_brns: set[str] = set()
    for sector_code, count in per_sector.items():
        vocabulary = SECTOR_VOCABULARIES[sector_code]
        combos = [(stem, suffix) for stem in _NAME_STEMS for suffix in vocabulary.company_suffixes]
        rng.shuffle(combos)
        for index in range(count):
            (stem_ko, stem_en), (suffix_ko, suffix_en) = combos[index % len(combos)]
            # Past the distinct combinations (only the benchmark goes there), number the branches.
            branch = index // len(combos)
            number = f" {branch + 1}" if branch else ""
            corporation = rng.random() < 0.7
            name_ko = f"{'(주)' if corporation else ''}{stem_ko}{suffix_ko}{number}"
            name_en = f"{stem_en} {suffix_en}{number}{' Co., Ltd.' if corporation else ''}"
            district_ko, district_en = rng.choice(_SEOUL_DISTRICTS)
            founded = min(2020, int(rng.triangular(1985, 2021, 2012)))
            employees = max(2, min(299, int(rng.lognormvariate(3.0, 0.9))))
            revenue_band = (
                RevenueBand.UNDER_1B
                if employees < 10
                else RevenueBand.B1_TO_5
                if employees < 40
                else RevenueBand.B5_TO_10
                if employees < 100
                else RevenueBand.B10_TO_50
                if employees < 250
                else RevenueBand.OVER_50B
            )
            lines = rng.sample(vocabulary.product_lines, k=rng.randint(2, 4))
            strength_ko, strength_en = rng.choice(vocabulary.strengths)
            exporter = rng.random() < 0.75
            targets = rng.sample(vocabulary.target_countries, k=rng.randint(1, 4))
            exports = rng.sample(vocabulary.target_countries, k=rng.randint(1, 3)) if exporter else []
            languages = ["ko"] if rng.random() < 0.1 else ["ko", "en"]
            for extra, share in (("zh", 0.2), ("ja", 0.15), ("vi", 0.06), ("th", 0.05)):
                if len(languages) > 1 and rng.random() < share:
                    languages.append(extra)
            company = Company(
                name_ko=name_ko,
                name_en=name_en,
                business_registration_number=business_registration_number(
                    rng, corporation=corporation, taken=taken_brns
                ),
                sector=sectors[sector_code],
                description_ko=(
                    f"{founded}년 서울 {district_ko}에서 설립된 {sectors[sector_code].name_ko} 전문 기업입니다. "
                    f"주력 제품은 {', '.join(line.name_ko for line in lines)}입니다. {strength_ko}."
                ),
                description_en=(
                    f"Founded in {founded} in {district_en}, Seoul, we make "
                    f"{', '.join(_in_sentence(line.name_en) for line in lines[:-1])} and {_in_sentence(lines[-1].name_en)}. {strength_en}."
                ),
                founded_year=founded,
                employees=employees,
                revenue_band=revenue_band,
                export_countries=exports,
                target_countries=targets,
                languages=languages,
                website=f"https://www.{_slug(stem_en + suffix_en)}{number.strip()}.example",
                seoul_award=rng.random() < 0.08,
                status=PublicationStatus.PUBLISHED if rng.random() < 0.93 else PublicationStatus.DRAFT,
            )
            certifications = [code for code, share in vocabulary.certifications.items() if rng.random() < share]
            drafts.append(CompanyDraft(company, certifications, lines))
    return drafts


def _nice_moq(rng: random.Random, low: int, high: int) -> int:
    steps = [
        n
        for n in (5, 10, 20, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000, 20000, 50000, 100000, 200000)
        if low <= n <= high
    ]
    return rng.choice(steps or [low])


def build_products(rng: random.Random, companies: list[CompanyDraft], *, total: int) -> list[ProductDraft]:
    """Exactly `total` products spread unevenly over the companies (every company has one or more),
    each drawn from its company's product lines. Companies must be saved (products refer to them)."""
    if total < len(companies):
        raise ValueError("Every company needs at least one product.")
    weights = [1 + rng.expovariate(1.0) * 2 for _ in companies]
    per_company = Counter(rng.choices(range(len(companies)), weights=weights, k=total - len(companies)))
    drafts: list[ProductDraft] = []
    for index, draft in enumerate(companies):
        vocabulary = SECTOR_VOCABULARIES[draft.company.sector.code]
        for _ in range(1 + per_company[index]):
            line = rng.choice(draft.product_lines)
            variant_ko, variant_en = rng.choice(line.variants or vocabulary.variants)
            price_min = Decimal(str(round(rng.uniform(*line.price_usd), 2)))
            price_max = (price_min * Decimal(str(round(rng.uniform(1.1, 1.8), 2)))).quantize(Decimal("0.01"))
            currency = "USD"
            if rng.random() < 0.12:  # some SMEs quote in won
                currency = "KRW"
                price_min, price_max = (round(p * 1300, -1) for p in (price_min, price_max))
            product = Product(
                company=draft.company,
                name_ko=f"{line.name_ko} ({variant_ko})" if variant_ko else line.name_ko,
                name_en=f"{line.name_en} ({variant_en})" if variant_en else line.name_en,
                description_ko=line.description_ko + (f". {variant_ko} 제품입니다." if variant_ko else "."),
                description_en=line.description_en + (f". Variant: {variant_en}." if variant_en else "."),
                hs_code_id=line.hs_code,
                keywords=line.keywords,
                moq=_nice_moq(rng, *line.moq),
                moq_unit=line.moq_unit,
                price_min=price_min,
                price_max=price_max,
                currency=currency,
                lead_time_days=rng.choice((7, 10, 14, 21, 30, 45, 60)),
                status=PublicationStatus.PUBLISHED if rng.random() < 0.95 else PublicationStatus.DRAFT,
            )
            # The search text and company copies the services write, so seeded products are
            # found and listed like any other.
            product_fill_derived_fields(product)
            certifications = [code for code in draft.certifications if rng.random() < 0.6]
            drafts.append(ProductDraft(product, certifications))
    return drafts


def insert_catalogue(
    companies: list[CompanyDraft], build: Callable[[], list[ProductDraft]], *, batch_size: int = 2000
) -> list[ProductDraft]:
    """Bulk-insert companies, then the products `build()` makes for them, with their certifications."""
    certification_ids = dict(Certification.objects.values_list("code", "id"))
    Company.objects.bulk_create([d.company for d in companies], batch_size=batch_size)
    CompanyCertification = Company.certifications.through
    CompanyCertification.objects.bulk_create(
        [
            CompanyCertification(company_id=d.company.pk, certification_id=certification_ids[code])
            for d in companies
            for code in d.certifications
        ],
        batch_size=batch_size * 5,
    )
    products = build()
    Product.objects.bulk_create([d.product for d in products], batch_size=batch_size)
    ProductCertification = Product.certifications.through
    ProductCertification.objects.bulk_create(
        [
            ProductCertification(product_id=d.product.pk, certification_id=certification_ids[code])
            for d in products
            for code in d.certifications
        ],
        batch_size=batch_size * 5,
    )
    return products


@dataclass
class BuyerDraft:
    buyer: BuyerOrganisation
    sectors: list[str]
    hs_codes: list[str]
    created_at: datetime


def build_buyers(rng: random.Random, *, reviewer: User, now) -> list[BuyerDraft]:
    drafts: list[BuyerDraft] = []
    names: set[str] = set()
    for country in BUYER_COUNTRIES:
        for index in range(country.count):
            primary = _weighted(rng, country.sector_weights)
            if country.code == "MY" and index == 0:
                primary = "beauty"  # the demo `buyer` login belongs to this one
            sectors = [primary]
            if rng.random() < 0.3:
                second = _weighted(rng, country.sector_weights)
                if second != primary:
                    sectors.append(second)
            while True:
                stem = rng.choice(country.stems)
                word = rng.choice(SECTOR_VOCABULARIES[primary].buyer_words)
                business = rng.choice(_BUYER_BUSINESS_WORDS)
                suffix = rng.choice(country.legal_suffixes)
                name = f"PT {stem} {word} {business}" if suffix == "PT" else f"{stem} {word} {business} {suffix}"
                if name not in names:
                    names.add(name)
                    break
            city, time_zone = rng.choice(country.cities)
            buyer_type = _weighted(rng, _BUYER_TYPE_WEIGHTS)
            lines = [line for code in sectors for line in SECTOR_VOCABULARIES[code].product_lines]
            hs_codes = sorted({line.hs_code for line in rng.sample(lines, k=min(len(lines), rng.randint(1, 4)))})
            if rng.random() < 0.25:
                hs_codes.append(hs_codes[0][:4])  # interested in the whole heading too
            first, last = rng.choice(country.first_names), rng.choice(country.last_names)
            domain = f"{_slug(stem + word + business)}.example"
            roll = rng.random()
            state = (
                VerificationState.VERIFIED
                if roll < 0.8 or (country.code == "MY" and index == 0)
                else VerificationState.PENDING
                if roll < 0.95
                else VerificationState.REJECTED
            )
            created_days_ago = rng.randint(10, 240)
            reviewed_at = None
            if state != VerificationState.PENDING:
                reviewed_at = now - timedelta(days=created_days_ago - rng.randint(1, 7), hours=rng.randint(0, 8))
            sector_names = " and ".join(
                f"Korean {SECTOR_VOCABULARIES[code].buyer_words[0].lower()}" for code in sectors
            )
            buyer = BuyerOrganisation(
                name=name,
                country=country.code,
                city=city,
                buyer_type=buyer_type,
                import_volume_band=_weighted(
                    rng,
                    {
                        ImportVolumeBand.UNDER_100K: 2,
                        ImportVolumeBand.K100_TO_1M: 4,
                        ImportVolumeBand.M1_TO_10: 3,
                        ImportVolumeBand.OVER_10M: 1,
                    },
                ),
                languages=list(country.languages),
                time_zone=time_zone,
                website=f"https://www.{domain}",
                description=(
                    f"{BuyerType(buyer_type).label} in {city} supplying {_BUYER_CHANNELS[buyer_type]}. "
                    f"Looking for {sector_names} products."
                ),
                contact_name=f"{first} {last}",
                contact_email=f"{_slug(first)}.{_slug(last)}@{domain}",
                contact_phone=f"+{country.calling_code} {rng.randint(10, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                verification_state=state,
                reviewed_by=reviewer if reviewed_at else None,
                reviewed_at=reviewed_at,
                rejection_reason=rng.choice(_REJECTION_REASONS) if state == VerificationState.REJECTED else "",
            )
            drafts.append(BuyerDraft(buyer, sectors, hs_codes, now - timedelta(days=created_days_ago)))
    return drafts


def build_sourcing_requests(
    rng: random.Random, buyers: list[BuyerDraft], *, now
) -> list[tuple[SourcingRequest, list[str], list[str]]]:
    """Open (and a few closed) sourcing requests from about a third of the verified buyers."""
    requests = []
    for draft in buyers:
        buyer = draft.buyer
        if buyer.verification_state != VerificationState.VERIFIED or rng.random() > 0.35:
            continue
        for _ in range(rng.randint(1, 2)):
            vocabulary = SECTOR_VOCABULARIES[rng.choice(draft.sectors)]
            line = rng.choice(vocabulary.product_lines)
            quantity = _nice_moq(rng, line.moq[0] * 2, line.moq[1] * 10)
            status = SourcingRequestStatus.OPEN if rng.random() < 0.8 else SourcingRequestStatus.CLOSED
            certifications = rng.sample(list(vocabulary.certifications), k=rng.randint(0, 2))
            wanted_in = rng.randint(30, 180) if status == SourcingRequestStatus.OPEN else -rng.randint(5, 60)
            request = SourcingRequest(
                buyer=buyer,
                title=f"{line.name_en} for {buyer.city} ({quantity:,} {line.moq_unit})",
                description=(
                    f"{buyer.name} is sourcing {_in_sentence(line.name_en)} (HS {line.hs_code}) for {_BUYER_CHANNELS[buyer.buyer_type]}. "
                    f"First order about {quantity:,} {line.moq_unit}; private label welcome."
                ),
                quantity=quantity,
                quantity_unit=line.moq_unit,
                target_price=Decimal(str(round(rng.uniform(*line.price_usd), 2))),
                currency="USD",
                wanted_by=(now + timedelta(days=wanted_in)).date(),
                status=status,
            )
            requests.append((request, [line.hs_code], certifications))
    return requests


# --- The seeder ----------------------------------------------------------------------------------


class DemoDataPresent(Exception):
    """The database already holds companies; seeding again would mix two catalogues."""


@dataclass
class DemoSummary:
    companies: int
    products: int
    buyers: int
    sourcing_requests: int
    sme_company: str
    buyer_organisation: str
    pending_buyer_organisation: str


def demo_data_present() -> bool:
    return Company.objects.exists()


def _wipe_pipeline() -> None:
    """Deal history is append-only (a trigger on PostgreSQL, guards in Django). Wiping a
    development database is the one way it goes, all at once, as the test runner's flush does:
    TRUNCATE fires no row triggers."""
    from django.db import connection

    from matching.models import Deal, DealChange, ExchangeRate, MeetingOutcome

    with connection.cursor() as cursor:
        table = connection.ops.quote_name(DealChange._meta.db_table)
        if connection.vendor == "postgresql":
            # TRUNCATE refuses a table with deferred constraint checks still pending in this
            # transaction (the seeder's own inserts): run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {table}")
        else:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a model's own table name
    MeetingOutcome.objects.all().delete()
    Deal.meetings.through.objects.all().delete()
    Deal.products.through.objects.all().delete()
    Deal.objects.all()._raw_delete(Deal.objects.db)  # no per-row history: it was just wiped
    ExchangeRate.objects.all().delete()


def demo_data_wipe() -> None:
    """Delete what the seeder creates: every company, product, buyer and sourcing request, every
    SME and buyer login (they belong to those), and the demo staff login. Meant for a
    development database; other staff accounts are kept."""
    demo_usernames = [login.username for login in DEMO_LOGINS]
    User.objects.filter(Q(role__in=[Role.SME, Role.BUYER]) | Q(username__in=demo_usernames)).delete()
    from matching.models import ConsultationFair, MatchingRun, MatchOutcome

    _wipe_pipeline()
    MatchOutcome.objects.all().delete()
    MatchingRun.objects.all().delete()
    ConsultationFair.objects.all().delete()
    SourcingRequest.objects.all().delete()
    Product.objects.all().delete()
    Company.objects.all().delete()
    BuyerOrganisation.objects.all().delete()


# The real service's 2021 fairs (medical & quarantine for the USA, beauty for Thailand and for
# Malaysia, household goods for Vietnam) and the Trade Week fair planned for December.
DEMO_FAIRS = (
    ("Medical & quarantine online export fair (USA)", ("medical",), ("US",), "2021-05-11", "2021-05-13"),
    ("Beauty online export fair (Thailand)", ("beauty",), ("TH",), "2021-06-15", "2021-06-17"),
    ("Beauty online export fair (Malaysia)", ("beauty",), ("MY",), "2021-07-06", "2021-07-08"),
    ("Household goods online export fair (Vietnam)", ("household",), ("VN",), "2021-08-24", "2021-08-26"),
    (
        "Trade Week online consultation fair",
        ("it-ict", "medical", "beauty", "food", "household"),
        (),
        "2021-12-06",
        "2021-12-10",
    ),
)


def demo_matching(*, log: Callable[[str], None] = lambda message: None) -> int:
    """The demo's consultation fairs and the matcher's first pairings, so every role sees
    recommendations on its first sign-in."""
    from datetime import date

    from matching import services as matching_services
    from matching.fairs import setup as fair_setup
    from matching.models import ConsultationFair

    staff = User.objects.get(username=DEMO_LOGINS[0].username)
    fairs = []
    for name, sectors, countries, starts_on, ends_on in DEMO_FAIRS:
        fair = ConsultationFair.objects.filter(name=name).first() or fair_setup.fair_create(
            created_by=staff,
            name=name,
            sectors=list(Sector.objects.filter(code__in=sectors)),
            target_countries=countries,
            starts_on=date.fromisoformat(starts_on),
            ends_on=date.fromisoformat(ends_on),
        )
        fairs.append(fair)
    log("Computing pairings for every buyer and company ...")
    run = matching_services.pairings_recompute_full_inline()
    for fair in fairs:
        log(f"Computing proposed pairs for {fair.name} ...")
        matching_services.pairings_recompute_fair(fair=fair)
    return run.pairings_written


# Two upcoming fairs, dated from the day the seeder runs so they are always ahead: one already
# scheduled and published (so SMEs and buyers see an agenda in their own time zone), and one taking
# meeting requests (so staff can walk it to a published schedule). The demo SME and buyer are in both.
PUBLISHED_FAIR_NAME = "K-Beauty online export fair (Thailand, Malaysia)"
UPCOMING_FAIR_NAME = "Beauty fair for Thai and Malaysian buyers"
LIVE_FAIR_NAME = "K-Beauty live consultation day"
DEMO_INTERPRETERS = (
    ("Kim Ji-won", "jiwon.kim@interpreters.example", ["ko", "en", "th"]),
    ("Park Min-seo", "minseo.park@interpreters.example", ["ko", "en", "ms"]),
    ("Nguyen Thi Lan", "lan.nguyen@interpreters.example", ["ko", "vi"]),
    ("Lee Su-bin", "subin.lee@interpreters.example", ["ko", "en"]),
)


def _monday_after(days: int):
    day = timezone.localdate() + timedelta(days=days)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def demo_fairs(*, log: Callable[[str], None] = lambda message: None) -> list:
    """The 2021 fairs are history (phase follow-up); the agency's interpreters; and the two
    upcoming beauty fairs with the demo SME and buyer, 24 more SMEs and 16 more buyers."""
    from django.test.utils import override_settings

    from matching.models import ConsultationFair, FairPhase

    staff = User.objects.get(username=DEMO_LOGINS[0].username)
    # Seed data, not a workflow: past fairs are set straight to their last phase.
    ConsultationFair.objects.filter(ends_on__lt=timezone.localdate()).update(phase=FairPhase.FOLLOW_UP)
    # The seeder "sends" the invitations and schedules it creates; nobody needs them printed.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        from matching.fairs import setup as fair_setup
        from matching.models import Interpreter

        for name, email, languages in DEMO_INTERPRETERS:
            if not Interpreter.objects.filter(name=name).exists():
                fair_setup.interpreter_save(saved_by=staff, name=name, email=email, languages=languages)
        fairs = []
        for name, starts_on, publish in (
            (PUBLISHED_FAIR_NAME, _monday_after(7), True),
            (UPCOMING_FAIR_NAME, _monday_after(28), False),
        ):
            fair = ConsultationFair.objects.filter(name=name).first()
            if fair is None:
                log(f"Creating the fair {name} ({starts_on:%Y-%m-%d}) ...")
                fair = _demo_fair(staff, name, starts_on, publish=publish)
            fairs.append(fair)
        if not ConsultationFair.objects.filter(name=LIVE_FAIR_NAME).exists():
            log(f"Creating the fair {LIVE_FAIR_NAME} (today, live) ...")
            fairs.append(_demo_live_fair(staff))
    return fairs


def _demo_live_fair(staff):
    """A fair running today, around the time the demo is loaded, so the live board, the video
    rooms and the outcome forms have something to show: the demo SME and buyer meet in the slot
    under way now (or the next one); in the slot before, the demo SME met another buyer (both
    came: completed) and one buyer never came (a no-show); later slots are still to come."""
    from matching.fairs import booking, live, scheduling, setup
    from matching.models import FairPhase, Interpreter, Meeting, MeetingAttendance
    from matching.scheduler import SEOUL

    now = timezone.now()
    seoul = now.astimezone(SEOUL)
    # Slots of 30 minutes with 10-minute breaks from a window opening on the 10-minute mark 50
    # minutes ago: one slot is over, one is under way. (Clipped to the Seoul day near midnight.)
    opens = max(
        datetime.combine(seoul.date(), dt_time(0, 0), tzinfo=SEOUL),
        seoul.replace(minute=seoul.minute - seoul.minute % 10, second=0, microsecond=0) - timedelta(minutes=50),
    )
    closes = min(opens + timedelta(hours=4), datetime.combine(seoul.date(), dt_time(23, 59), tzinfo=SEOUL))
    fair = setup.fair_create(
        created_by=staff,
        name=LIVE_FAIR_NAME,
        sectors=list(Sector.objects.filter(code="beauty")),
        target_countries=["TH", "MY"],
        starts_on=seoul.date(),
        ends_on=seoul.date(),
        meeting_minutes=30,
        break_minutes=10,
        session_windows=[(opens.time(), closes.time())],
    )
    setup.fair_phase_advance(fair=fair, to_phase=FairPhase.REQUESTS_OPEN, changed_by=staff)
    sme, buyer = User.objects.get(username="sme"), User.objects.get(username="buyer")
    companies, buyers = setup.invitation_candidates(fair)
    companies = [sme.company, *companies.exclude(pk=sme.company_id).order_by("-id")[:5]]
    buyers = [buyer.buyer_organisation, *buyers.exclude(pk=buyer.buyer_organisation_id).order_by("-id")[:6]]
    for participant in setup.participants_invite(fair=fair, invited_by=staff, companies=companies, buyers=buyers):
        setup.invitation_respond(participant=participant, user=staff, accept=True)
    setup.fair_phase_advance(fair=fair, to_phase=FairPhase.SCHEDULING, changed_by=staff)

    slots = booking.fair_slot_list(fair)
    past = [slot for slot in slots if slot.end <= now]
    current = next((slot for slot in slots if slot.end > now), None)
    later = [slot for slot in slots if current is not None and slot.start > current.start]
    rooms = list(fair.rooms.order_by("name"))
    plan = []  # (slot, company, buyer, room)
    if past:
        plan += [(past[-1], companies[0], buyers[0], rooms[0]), (past[-1], companies[2], buyers[2], rooms[1])]
    if current is not None:
        plan += [(current, companies[0], buyers[1], rooms[0]), (current, companies[1], buyers[0], rooms[1])]
    for index, slot in enumerate(later[:3]):
        plan += [(slot, companies[3 + index % 3], buyers[3 + index % 3], rooms[index % 2])]
    interpreters, busy = list(Interpreter.objects.filter(is_active=True).order_by("id")), set()
    meetings = []
    for slot, company, buyer_org, room in plan:
        interpreter = None
        if booking.needs_interpreter(company, buyer_org):
            interpreter = next(
                i
                for i in interpreters
                if (slot.start, i.pk) not in busy and booking.interpreter_fits(i, company, buyer_org)
            )
            busy.add((slot.start, interpreter.pk))
        meetings.append(
            booking.meeting_add(
                fair=fair,
                added_by=staff,
                company=company,
                buyer=buyer_org,
                starts_at=slot.start,
                room=room,
                interpreter=interpreter,
                force=True,
            )
        )
    scheduling.schedule_publish(fair=fair, published_by=staff)
    live.fair_day_start(fair, staff)
    if past:
        # The slot that is over: the demo SME and buyer met for 25 minutes (each now has an
        # outcome to give); in the other room nobody came.
        done, missed = (Meeting.objects.get(pk=m.pk) for m in meetings[:2])
        for user, side in ((sme, "sme"), (buyer, "buyer")):
            MeetingAttendance.objects.create(
                meeting=done,
                user=user,
                side=side,
                joined_at=done.starts_at + timedelta(minutes=1),
                left_at=done.starts_at + timedelta(minutes=26),
            )
    live.live_tick(now, fair=fair)
    return fair


def demo_pipeline(*, log: Callable[[str], None] = lambda message: None) -> int:
    """The 2021 results as deals (matching.pipeline.fixture_2021): 5 fairs, 204 buyers met, 100
    companies, 431 consultations and 85.6 billion KRW of pipeline, at dated 2021 rates, in the
    demo's 2021 fairs. The participants are the demo's own companies and verified buyers (a
    country short of verified buyers gets the rest created). Returns the number of deals (0 if
    loaded)."""
    from matching.models import Deal
    from matching.pipeline.fixture_2021 import build_2021_fixture

    if Deal.objects.exists():
        return 0
    log("Creating the 2021 consultations, outcomes and deals (85.6 billion KRW) ...")
    staff = User.objects.get(username=DEMO_LOGINS[0].username)
    return len(build_2021_fixture(by=staff, from_registry=True).deals)


def _demo_fair(staff, name: str, starts_on, *, publish: bool):
    from matching import services as matching_services
    from matching.fairs import requests as fair_requests
    from matching.fairs import scheduling, setup
    from matching.models import FairPhase, MeetingRequest

    fair = setup.fair_create(
        created_by=staff,
        name=name,
        sectors=list(Sector.objects.filter(code="beauty")),
        target_countries=["TH", "MY"],
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=2),
        min_meetings_per_sme=2,
    )
    setup.fair_phase_advance(fair=fair, to_phase=FairPhase.REQUESTS_OPEN, changed_by=staff)
    sme, buyer = User.objects.get(username="sme"), User.objects.get(username="buyer")
    companies, buyers = setup.invitation_candidates(fair)
    companies = [sme.company, *companies.exclude(pk=sme.company_id).order_by("id")[:24]]
    buyers = [buyer.buyer_organisation, *buyers.exclude(pk=buyer.buyer_organisation_id).order_by("id")[:16]]
    for participant in setup.participants_invite(fair=fair, invited_by=staff, companies=companies, buyers=buyers):
        setup.invitation_respond(participant=participant, user=staff, accept=True)
    matching_services.pairings_recompute_fair(fair=fair)
    # Requests: each buyer's three best proposed SMEs (at most three per SME), sent by staff for the
    # buyer, plus the demo buyer asking the demo SME. In the published fair all are accepted; in the
    # open one about a third still wait for an answer (the demo SME has one to answer).
    from tradeon.errors import DomainError

    rng = random.Random(fair.name)
    pairs = [(sme.company, buyer.buyer_organisation)]
    per_buyer, per_company = Counter(), Counter()
    for suggestion in fair_requests.fair_suggestion_list(fair=fair, user=staff):
        if per_buyer[suggestion.buyer_id] < 3 and per_company[suggestion.company_id] < 3:
            per_buyer[suggestion.buyer_id] += 1
            per_company[suggestion.company_id] += 1
            pairs.append((suggestion.company, suggestion.buyer))
    for company, buyer_organisation in pairs:
        if MeetingRequest.objects.filter(fair=fair, company=company, buyer=buyer_organisation).exists():
            continue
        request = fair_requests.meeting_request_create_on_behalf(
            fair=fair,
            staff=staff,
            company=company,
            buyer=buyer_organisation,
            from_side="buyer",
            message="We would like to discuss private-label supply and distribution in our market.",
        )
        waiting = not publish and (company.pk == sme.company_id or rng.random() < 0.33)
        if not waiting:
            with contextlib.suppress(DomainError):  # a cap reached: it stays pending, as it would for real
                fair_requests.meeting_request_accept(meeting_request=request, user=staff)
    if publish:
        setup.fair_phase_advance(fair=fair, to_phase=FairPhase.SCHEDULING, changed_by=staff)
        run = scheduling.schedule_run_start(fair=fair, started_by=staff)
        # Solved here rather than by the task at commit: the seeder may run inside a transaction
        # (tests); the task, when it comes, finds the run done and does nothing.
        scheduling.schedule_run_execute(run.pk)
        fair.refresh_from_db()
        scheduling.schedule_publish(fair=fair, published_by=staff)
    return fair


def _backdate(model, rows: Iterable, *, rng: random.Random, now, max_days: int) -> None:
    """Spread creation times over the past months (bulk_create stamps every row with "now")."""
    rows = list(rows)
    for row in rows:
        row.created_at = now - timedelta(days=rng.randint(1, max_days), minutes=rng.randint(0, 1439))
    model.objects.bulk_update(rows, ["created_at"], batch_size=500)


def _create_login(login: DemoLogin, **affiliation) -> User:
    user = User(
        username=login.username,
        email=f"{login.username}@tradeon.example",
        role=login.role,
        is_staff=login.role == Role.STAFF,
        is_superuser=login.role == Role.STAFF,
        **affiliation,
    )
    user.set_password(login.password)
    user.save()
    return user


@transaction.atomic
def seed_demo(*, reset: bool = False, log: Callable[[str], None] = lambda message: None) -> DemoSummary:
    """Load the demo catalogue, buyers and logins. Refuses (DemoDataPresent) if companies exist,
    unless `reset` wipes the demo data first."""
    if reset:
        log("Wiping existing demo data ...")
        demo_data_wipe()
    elif demo_data_present():
        raise DemoDataPresent("Demo data is already loaded; use --reset to wipe and reload it.")

    missing = sorted(set(vocabulary_hs_codes()) - set(HSCode.objects.filter(level=6).values_list("code", flat=True)))
    if missing:
        raise RuntimeError(f"HS subheadings missing from the nomenclature: {', '.join(missing)}; run migrate.")

    rng = random.Random(SEED)
    now = timezone.now()
    sectors = {s.code: s for s in Sector.objects.filter(code__in=SECTOR_VOCABULARIES)}
    staff_login, sme_login, buyer_login, newbuyer_login = DEMO_LOGINS
    staff = _create_login(staff_login)

    log(f"Creating {DEMO_COMPANY_COUNT} companies and {DEMO_PRODUCT_COUNT} products ...")
    companies = build_companies(rng, per_sector=DEMO_COMPANIES_PER_SECTOR, sectors=sectors)
    products = insert_catalogue(companies, lambda: build_products(rng, companies, total=DEMO_PRODUCT_COUNT))
    _backdate(Company, (d.company for d in companies), rng=rng, now=now, max_days=240)
    _backdate(Product, (d.product for d in products), rng=rng, now=now, max_days=200)

    log(f"Creating {DEMO_BUYER_COUNT} buyers and their sourcing requests ...")
    buyers = build_buyers(rng, reviewer=staff, now=now)
    BuyerOrganisation.objects.bulk_create([d.buyer for d in buyers])
    for draft in buyers:  # bulk_create stamped "now"; registration precedes the review
        draft.buyer.created_at = draft.created_at
    BuyerOrganisation.objects.bulk_update([d.buyer for d in buyers], ["created_at"], batch_size=500)
    BuyerSector, BuyerHSCode = BuyerOrganisation.sectors.through, BuyerOrganisation.hs_codes.through
    BuyerSector.objects.bulk_create(
        [BuyerSector(buyerorganisation_id=d.buyer.pk, sector_id=sectors[code].pk) for d in buyers for code in d.sectors]
    )
    BuyerHSCode.objects.bulk_create(
        [BuyerHSCode(buyerorganisation_id=d.buyer.pk, hscode_id=code) for d in buyers for code in d.hs_codes]
    )
    requests = build_sourcing_requests(rng, buyers, now=now)
    SourcingRequest.objects.bulk_create([r for r, _, _ in requests])
    certification_ids = dict(Certification.objects.values_list("code", "id"))
    RequestHSCode = SourcingRequest.hs_codes.through
    RequestCertification = SourcingRequest.required_certifications.through
    RequestHSCode.objects.bulk_create(
        [RequestHSCode(sourcingrequest_id=r.pk, hscode_id=code) for r, codes, _ in requests for code in codes]
    )
    RequestCertification.objects.bulk_create(
        [
            RequestCertification(sourcingrequest_id=r.pk, certification_id=certification_ids[code])
            for r, _, codes in requests
            for code in codes
        ]
    )

    # The demo logins: picked by rule from the generated rows, so they are the same every run.
    sme_company = next(
        d.company
        for d in companies
        if d.company.sector.code == "beauty"
        and d.company.status == PublicationStatus.PUBLISHED
        and sum(1 for p in products if p.product.company is d.company) >= 3
    )
    malaysian_buyer = next(
        d.buyer
        for d in buyers
        if d.buyer.country.code == "MY"
        and "beauty" in d.sectors
        and d.buyer.verification_state == VerificationState.VERIFIED
    )
    pending_buyer = next(d.buyer for d in buyers if d.buyer.verification_state == VerificationState.PENDING)
    _create_login(sme_login, company=sme_company, preferred_language="ko")
    _create_login(buyer_login, buyer_organisation=malaysian_buyer)
    _create_login(newbuyer_login, buyer_organisation=pending_buyer)

    return DemoSummary(
        companies=len(companies),
        products=len(products),
        buyers=len(buyers),
        sourcing_requests=len(requests),
        sme_company=str(sme_company),
        buyer_organisation=str(malaysian_buyer),
        pending_buyer_organisation=str(pending_buyer),
    )
