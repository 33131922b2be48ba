"""A small synthetic journey type for tests of generic rules, published through the real loader.

Tests about handoffs, casework, coordination, access and the like should not depend on the
shipped café's step keys or on the demo's units: `journey_type()` names its own steps, fields
and units, and its traits say which shapes of graph a test needs:

- `parallel=n`: steps `parallel-1` .. `parallel-n`, which wait for nothing (queued at submission);
- `chain=m`: steps `chain-1` .. `chain-m`, `chain-1` after `parallel-1` and each after the one
  before (waiting at submission, handed on by each approval);
- `conditional=True`: a step `conditional` that applies only if the yes/no field
  `wants_conditional` is answered yes (it waits for nothing);
- `join=True`: a step `join` after the last step of every branch (`chain-m`, or `parallel-1`,
  and `parallel-2` .. `parallel-n`);
- `retention={...}`: disposal rules (journeys/retention.py), none if left out;
- `files=True`: two file questions, a required `site_plan` (PDF only) that `parallel-1` and the
  chained steps need, and an optional `site_photo` (any type taken) that `parallel-2` needs.

Each step is handled by its own unit, `office-<step key>`, unless `units` maps the step key to
another unit slug. Every step needs the shared field `applicant_name`; the parallel and
conditional steps need `contact_email`, the chained and joining steps `site_address` (so a
unit sees only some of the answers).
"""

from django.utils.text import capfirst

from journeys.definitions import journey_type_publish
from journeys.models import JourneyType
from units.models import Unit

TRAIL_ANSWERS = {
    "applicant_name": "Ada Applicant",
    "contact_email": "ada@example.org",
    "site_address": "Testgatan 1, Teststad",
    "wants_conditional": True,
}
FIELDS = [
    {
        "key": "applicant_name",
        "shared": True,
        "label": {"en": "Applicant's name", "sv": "Sökandens namn"},
    },
    {
        "key": "contact_email",
        "kind": "email",
        "label": {"en": "Contact e-mail address", "sv": "E-postadress"},
    },
    {
        "key": "site_address",
        "kind": "textarea",
        "label": {"en": "Address of the site", "sv": "Platsens adress"},
    },
]
FILE_FIELDS = [
    {
        "key": "site_plan",
        "kind": "file",
        "accept": ["pdf"],
        "label": {"en": "Site plan", "sv": "Situationsplan"},
        "hint": {"en": "Drawn to scale.", "sv": "Skalenligt ritad."},
    },
    {
        "key": "site_photo",
        "kind": "file",
        "optional": True,
        "label": {"en": "Photo of the site", "sv": "Foto av platsen"},
    },
]
CONDITION = {
    "key": "wants_conditional",
    "kind": "yesno",
    "label": {"en": "Do you want the conditional step?", "sv": "Vill du ha det villkorade steget?"},
}


def unit_for(step_key: str) -> str:
    """The slug of the unit that handles `step_key` by default."""
    return f"office-{step_key}"


def make_test_units(*slugs: str) -> dict[str, Unit]:
    """Units named after their slugs (in English and Swedish), not the demo's list."""
    return {
        slug: Unit.objects.get_or_create(
            slug=slug,
            defaults={
                "name": capfirst(slug.replace("-", " ")),
                "translations": {"sv": {"name": "Enhet " + slug.replace("-", " ")}},
            },
        )[0]
        for slug in slugs
    }


def _step(key: str, name_en: str, name_sv: str, needs: list[str], **extra) -> dict:
    return {
        "key": key,
        "name": {"en": name_en, "sv": name_sv},
        "description": {"en": f"The {name_en.lower()}.", "sv": f"Det {name_sv.lower()}."},
        "needs": ["applicant_name", *needs],
        "legal_basis": {"en": "Test Permits Act (2026:1)", "sv": "Lagen (2026:1) om testtillstånd"},
        **extra,
    }


def journey_type(
    *,
    parallel: int = 2,
    chain: int = 1,
    conditional: bool = False,
    join: bool = False,
    units: dict[str, str] | None = None,
    deadline_days: int = 30,
    working_days: bool = False,
    stalled_after_days: int | None = None,
    slug: str = "permit-trail",
    prefix: str = "TRAIL",
    owner: str | None = None,
    service_norm_days: int | None = None,
    files: bool = False,
    retention: dict | None = None,
) -> JourneyType:
    """Publish (or find, if the same definition is current) a synthetic journey type."""
    if parallel < 1 and (chain or join):
        raise ValueError("chained and joining steps follow parallel-1")
    steps = [
        _step(f"parallel-{n}", f"Parallel step {n}", f"Parallellt steg {n}", ["contact_email"])
        for n in range(1, parallel + 1)
    ]
    for n in range(1, chain + 1):
        before = "parallel-1" if n == 1 else f"chain-{n - 1}"
        steps.append(
            _step(
                f"chain-{n}",
                f"Chained step {n}",
                f"Kedjat steg {n}",
                ["site_address"],
                depends_on=[before],
            )
        )
    if conditional:
        steps.append(
            _step(
                "conditional",
                "Conditional step",
                "Villkorat steg",
                ["contact_email"],
                applies_if=CONDITION["key"],
            )
        )
    if join:
        ends = [f"chain-{chain}" if chain else "parallel-1"]
        ends += [f"parallel-{n}" for n in range(2, parallel + 1)]
        steps.append(_step("join", "Joining step", "Sammanförande steg", ["site_address"]))
        steps[-1]["depends_on"] = ends
    if files:
        for step in steps:
            if step["key"] == "parallel-1" or step["key"].startswith("chain-"):
                step["needs"].append("site_plan")
            elif step["key"] == "parallel-2":
                step["needs"].append("site_photo")
    units = units or {}
    for step in steps:
        step["unit"] = units.get(step["key"], unit_for(step["key"]))
        step["deadline"] = {"days": deadline_days, "working": working_days}
    make_test_units(*{step["unit"] for step in steps})
    definition = {
        "slug": slug,
        "name": {"en": "Synthetic permit trail", "sv": "Syntetiskt tillståndsspår"},
        "summary": {"en": "A journey type made for tests.", "sv": "En ärendetyp för tester."},
        "reference_prefix": prefix,
        "fields": [*FIELDS, *([CONDITION] if conditional else []), *(FILE_FIELDS if files else [])],
        "steps": steps,
    }
    if stalled_after_days is not None:
        definition["stalled_after_days"] = stalled_after_days
    if owner is not None:
        definition["owner"] = owner
    if service_norm_days is not None:
        definition["service_norm_days"] = service_norm_days
    if retention is not None:
        definition["retention"] = retention
    return journey_type_publish(definition, source=f"tests.journey_types ({slug})")[0]


def default_answers(journey_type: JourneyType) -> dict:
    """Answers to every field of a synthetic type (the conditional step applies)."""
    keys = {field["key"] for field in journey_type.fields}
    return {key: value for key, value in TRAIL_ANSWERS.items() if key in keys}
