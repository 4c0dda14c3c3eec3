"""The solution catalog: seeded defaults, the officer's edits, the integration check, initiatives' vendors."""

import asyncio
import uuid
from pathlib import Path
from typing import Any

from services.intake.purchase_review_models import PurchaseReview, PurchaseReviewPublic, PurchaseReviewSubmit
from services.intake.scoring import review_purchase
from services.roadmap.catalog import rules as catalog
from services.roadmap.catalog.rules import VendorSummary, category_fit, vendor_fit
from shared.events.intake import StaffRole
from tests.unit.roadmap_support import roadmap_app

OFFICER = "officer-catalog-a"
ATHENA = {"emr": "athenahealth", "phone": "RingCentral"}


def vendor(**changes: Any) -> dict[str, Any]:
    return {
        "category": "ai_scribe",
        "vendor": "Suki",
        "product": "Suki Assistant",
        "integrations": {"EMR": ["ModMed", " athenahealth "]},
        "baa_available": True,
        "price_model": "per_provider_month",
        "price_usd": 299,
        "model_card": {
            "intended_use": "ambient notes",
            "claims": "less time in notes",
            "evidence": "vendor case studies only",
            "limitations": "review every draft",
        },
    } | changes


def test_every_category_of_the_method_is_seeded() -> None:
    seeded = {entry["category"] for entry in catalog.seed_entries()}
    assert seeded == set(catalog.CATEGORIES)
    assert {"analytics", "coding"} <= seeded  # the two the hard-coded tables lacked


def test_the_integration_check_compares_the_vendors_systems_with_the_clinics() -> None:
    integrations = {"emr": ["Epic", "athenahealth"]}
    fit = vendor_fit(
        category="ai_scribe", vendor="Nabla", integrations=integrations, systems={"EMR": "AthenaHealth"}
    )
    assert fit.integrates is True and "athenahealth" in fit.note.lower()
    other = vendor_fit(
        category="ai_scribe", vendor="Nabla", integrations=integrations, systems={"emr": "ModMed"}
    )
    assert other.integrates is False and "ModMed" in other.note and "Epic, athenahealth" in other.note
    no_phone = vendor_fit(category="ai_receptionist", vendor="X", integrations={}, systems={"emr": "Epic"})
    assert no_phone.integrates is False and "no phone system" in no_phone.note
    unknown = vendor_fit(category="ai_scribe", vendor="Nabla", integrations=integrations, systems={})
    assert unknown.integrates is None


def test_a_category_integrates_only_through_a_vendor_that_also_signs_a_baa() -> None:
    vendors = [
        VendorSummary("ai_scribe", "NoBaa", {"emr": ["ModMed"]}, baa_available=False),
        VendorSummary("ai_scribe", "Other", {"emr": ["Epic"]}, baa_available=True),
    ]
    without = category_fit(category="ai_scribe", vendors=vendors, systems={"emr": "ModMed"})
    assert without.integrates is False and "NoBaa" in without.note and "BAA" in without.note
    vendors.append(VendorSummary("ai_scribe", "Good", {"emr": ["modmed"]}, baa_available=True))
    assert category_fit(category="ai_scribe", vendors=vendors, systems={"emr": "ModMed"}).integrates is True
    empty = category_fit(category="coding", vendors=vendors, systems={"emr": "ModMed"})
    assert empty.integrates is None and "add one to your catalog" in empty.note


async def test_the_officer_starts_from_defaults_and_edits_them(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        headers = roadmap.auth(OFFICER)
        listing = (await roadmap.http.get("/v1/catalog", headers=headers)).json()
        assert len(listing) == len(catalog.seed_entries())
        assert not any(entry["verified"] for entry in listing)  # defaults are not vetted facts
        assert (await roadmap.http.get("/v1/catalog", headers=headers)).json() == listing  # seeded once

        added = await roadmap.http.post("/v1/catalog", json=vendor(), headers=headers)
        assert added.status_code == 201, added.text
        entry = added.json()
        assert entry["verified"] and entry["category_label"] == "AI scribe"
        assert entry["integrations"] == {
            "emr": ["ModMed", "athenahealth"]
        }  # kinds lower-cased, names trimmed

        nabla = next(item for item in listing if item["vendor"] == "Nabla")
        edited = await roadmap.http.put(
            f"/v1/catalog/{nabla['id']}", json=vendor(vendor="Nabla", baa_available=False), headers=headers
        )
        assert edited.status_code == 200 and edited.json()["verified"] and not edited.json()["baa_available"]

        scribes = (await roadmap.http.get("/v1/catalog?category=ai_scribe", headers=headers)).json()
        assert {item["vendor"] for item in scribes} >= {"Suki", "Nabla"}
        assert all(item["category"] == "ai_scribe" for item in scribes)
        bad_filter = await roadmap.http.get("/v1/catalog?category=radiology", headers=headers)
        assert bad_filter.status_code == 422

        draft = (await roadmap.http.get(f"/v1/catalog/{entry['id']}/purchase-review", headers=headers)).json()
        assert draft == {
            "tool": "Suki Suki Assistant",
            "integrates_with": {"emr": ["ModMed", "athenahealth"]},
            "catalog_entry_id": entry["id"],
        }

        other = roadmap.auth("officer-catalog-b")
        assert (await roadmap.http.get(f"/v1/catalog/{entry['id']}", headers=other)).status_code == 404
        assert (await roadmap.http.delete(f"/v1/catalog/{entry['id']}", headers=other)).status_code == 404
        assert (await roadmap.http.delete(f"/v1/catalog/{entry['id']}", headers=headers)).status_code == 204
        assert (await roadmap.http.get(f"/v1/catalog/{entry['id']}", headers=headers)).status_code == 404


async def test_bad_entries_name_the_field(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        headers = roadmap.auth(OFFICER)
        for changes, field in (
            ({"category": "radiology"}, "category"),
            ({"vendor": "  "}, "vendor"),
            ({"price_model": "free-ish"}, "price_model"),
            ({"price_usd": -5}, "price_usd"),
            ({"model_card": {"claims": "x", "secret": 1}}, "secret"),
            ({"integrations": {"emr": ["x" * 101]}}, "integrations"),
        ):
            refused = await roadmap.http.post("/v1/catalog", json=vendor(**changes), headers=headers)
            assert refused.status_code == 422, (changes, refused.text)
            assert field in refused.text


async def test_an_initiative_chooses_a_vendor_from_its_category(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        headers = roadmap.auth(OFFICER)
        clinic_id = await roadmap.clinic(
            OFFICER, systems={"emr": "ModMed"}, hours={"documentation": (20, 1_500), "billing": (10, 400)}
        )
        initiatives = (await roadmap.http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)).json()
        documentation = next(i for i in initiatives["initiatives"] if i["problem"] == "documentation")
        assert documentation["integrates"] is False  # no seeded scribe lists ModMed
        assert "no AI scribe vendor supports it" in documentation["integration_note"]

        suki = (await roadmap.http.post("/v1/catalog", json=vendor(), headers=headers)).json()
        options = (
            await roadmap.http.get(f"/v1/initiatives/{documentation['id']}/vendors", headers=headers)
        ).json()
        assert options[0]["entry"]["vendor"] == "Suki" and options[0]["integrates"] is True
        assert all(option["entry"]["category"] == "ai_scribe" for option in options)

        chosen = await roadmap.http.put(
            f"/v1/initiatives/{documentation['id']}/vendor", json={"entry_id": suki["id"]}, headers=headers
        )
        assert chosen.status_code == 200, chosen.text
        assert chosen.json()["chosen"] and chosen.json()["integrates"] is True
        options = (
            await roadmap.http.get(f"/v1/initiatives/{documentation['id']}/vendors", headers=headers)
        ).json()
        assert options[0]["chosen"] and options[0]["entry"]["id"] == suki["id"]

        waystar = next(
            e
            for e in (await roadmap.http.get("/v1/catalog", headers=headers)).json()
            if e["vendor"] == "Waystar"
        )
        wrong = await roadmap.http.put(
            f"/v1/initiatives/{documentation['id']}/vendor", json={"entry_id": waystar["id"]}, headers=headers
        )
        assert wrong.status_code == 422 and "AI scribe" in wrong.json()["detail"]
        in_use = await roadmap.http.delete(f"/v1/catalog/{suki['id']}", headers=headers)
        assert in_use.status_code == 422 and "choose another vendor" in in_use.json()["detail"]
        missing = await roadmap.http.put(
            f"/v1/initiatives/{uuid.uuid4()}/vendor", json={"entry_id": suki["id"]}, headers=headers
        )
        assert missing.status_code == 404

        # A catalog edit changes the ranking's integration answer at the next re-rank (new audit, interview).
        answer = {"answers": [{"area": "documentation", "question": "burnout", "rating": 3}]}
        await roadmap.http.put(f"/v1/clinics/{clinic_id}/strategy-interview", json=answer, headers=headers)
        initiatives = (await roadmap.http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)).json()
        documentation = next(i for i in initiatives["initiatives"] if i["problem"] == "documentation")
        assert documentation["integrates"] is True and "Suki" in documentation["integration_note"]


async def test_a_purchase_review_of_a_catalog_vendor_checks_its_systems_against_the_clinics(
    tmp_path: Path,
) -> None:
    """Roadmap's draft is a body intake's purchase review takes as it is (`faio catalog review` sends it)."""
    async with roadmap_app(tmp_path) as roadmap:
        headers = roadmap.auth(OFFICER)
        nabla = next(
            e
            for e in (await roadmap.http.get("/v1/catalog", headers=headers)).json()
            if e["vendor"] == "Nabla"
        )
        draft = (await roadmap.http.get(f"/v1/catalog/{nabla['id']}/purchase-review", headers=headers)).json()
    review = PurchaseReviewSubmit.model_validate(draft)
    assert str(review.catalog_entry_id) == nabla["id"]
    staff = [StaffRole(role="physician", headcount=3, hourly_cost=120.0)]
    _, fits = review_purchase(review, staff=staff, systems={"emr": "athenahealth"})
    assert next(f for f in fits if f.question == "integration").status == "strong"
    _, misfits = review_purchase(review, staff=staff, systems={"emr": "ModMed"})
    integration = next(f for f in misfits if f.question == "integration")
    assert integration.status == "weak" and "ModMed" in integration.reason
    stored = PurchaseReview(
        clinic_id=uuid.uuid4(),
        officer_id=OFFICER,
        tool=review.tool,
        answers=review.model_dump(mode="json"),
        verdict="not_yet",
        findings=[finding.model_dump() for finding in misfits],
    )
    shown = PurchaseReviewPublic.model_validate(stored, from_attributes=True)
    assert str(shown.catalog_entry_id) == nabla["id"] and shown.tool == "Nabla Nabla ambient scribe"


async def test_a_category_without_vendors_falls_back_to_the_clinics_systems(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        headers = roadmap.auth(OFFICER)
        for entry in (await roadmap.http.get("/v1/catalog?category=billing", headers=headers)).json():
            assert (
                await roadmap.http.delete(f"/v1/catalog/{entry['id']}", headers=headers)
            ).status_code == 204
        clinic_id = await roadmap.clinic(OFFICER, systems={"emr": "ModMed"}, hours={"billing": (10, 400)})
        listing = (await roadmap.http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)).json()
        billing = listing["initiatives"][0]
        assert billing["integrates"] is True and billing["integration_note"] == "integrates with emr (ModMed)"


async def test_two_first_reads_at_once_seed_the_catalog_once(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        headers = roadmap.auth("officer-catalog-racing")
        answers = await asyncio.gather(*(roadmap.http.get("/v1/catalog", headers=headers) for _ in range(4)))
        assert [answer.status_code for answer in answers] == [200] * 4, [a.text for a in answers]
        assert {len(answer.json()) for answer in answers} == {len(catalog.seed_entries())}


def test_a_tool_that_receives_no_patient_identifiers_needs_no_baa() -> None:
    listings = VendorSummary(
        "marketing",
        "Listings",
        {"scheduling": ["NexHealth"]},
        baa_available=False,
        receives_patient_identifiers=False,
    )
    fit = category_fit(category="marketing", vendors=[listings], systems={"scheduling": "NexHealth"})
    assert fit.integrates is True and "need none" in fit.note
    texting = VendorSummary("marketing", "Texter", {"scheduling": ["NexHealth"]}, baa_available=False)
    assert (
        category_fit(category="marketing", vendors=[texting], systems={"scheduling": "NexHealth"}).integrates
        is False
    )
    # Every seeded vendor says whether it receives identifiers (the approval's BAA question asks it).
    assert all("receives_patient_identifiers" in seed for seed in catalog.seed_entries())
