"""Journey types are published from files: validated whole, idempotent, versioned."""

import textwrap

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from journeys.definitions import DefinitionError, journey_type_load
from journeys.models import JourneyType, StepType
from tests.factories import CATALOGUE, submitted_journey
from tests.journey_types import make_test_units

VALID = """
slug: test-service
name: Test service
reference_prefix: TEST
summary: A service for tests.
fields:
  - {key: name, label: Name}
steps:
  - {key: first, name: First, unit: office-one, needs: [name]}
  - {key: second, name: Second, unit: office-two, depends_on: [first]}
"""


@pytest.fixture
def units(db):
    """Units of the tests' own (the shipped catalogue is in the database too: tests count the
    rows of the type they load)."""
    return make_test_units("office-one", "office-two")


def rows(slug="test-service"):
    return (
        JourneyType.objects.filter(slug=slug).count(),
        StepType.objects.filter(journey_type__slug=slug).count(),
    )


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "service.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


def test_the_shipped_catalogue_loads(catalogue):  # its subject is the shipped files
    cafe = catalogue["open-a-cafe"]
    assert cafe.steps.count() == 6
    food = cafe.steps.get(key="food-registration")
    assert [s.key for s in food.depends_on.all()] == ["building-permit"]
    with translation.override("sv"):
        assert food.display_legal_basis.startswith("Livsmedelslagen (2006:804)")
    assert all(step.legal_basis for step in cafe.steps.all())
    house = catalogue["extend-a-house"]
    final = house.steps.get(key="final-clearance")
    assert {s.key for s in final.depends_on.all()} == {
        "technical-consultation",
        "drainage-connection",
    }


def test_loading_the_same_file_twice_changes_nothing(units, write):
    path = write(VALID)
    first, created = journey_type_load(path)
    again, created_again = journey_type_load(path)
    assert created and not created_again
    assert again.pk == first.pk
    assert rows() == (1, 2)


def test_a_changed_definition_is_a_new_version_and_running_journeys_keep_theirs(units, write):
    v1, _ = journey_type_load(write(VALID))
    journey = submitted_journey(v1, answers={"name": "Anna"})
    v2, created = journey_type_load(write(VALID.replace("name: First", "name: First step")))
    assert created and v2.version == 2 and v2.is_current
    v1.refresh_from_db()
    assert not v1.is_current
    journey.refresh_from_db()
    assert journey.journey_type_id == v1.pk
    assert journey.steps.get(step_type__key="first").step_type.name == "First"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("depends_on: [first]}", "depends_on: [second]}"),
            "service.yaml: steps: dependencies form a cycle",
        ),
        (
            ("unit: office-one, needs: [name]}", "unit: office-one, depends_on: [second]}"),
            "service.yaml: steps: dependencies form a cycle: ",
        ),
        (
            ("depends_on: [first]}", "depends_on: [zeroth]}"),
            "step second: depends on unknown step 'zeroth'",
        ),
        (
            ("unit: office-two", "unit: ministry-of-magic"),
            "step second: unknown unit 'ministry-of-magic'",
        ),
        (("needs: [name]", "needs: [shoe_size]"), "step first: needs unknown field 'shoe_size'"),
        (("slug: test-service\n", ""), "journey type: 'slug' is missing"),
        (
            ("reference_prefix: TEST\n", "reference_prefix: TEST\nowner: ministry-of-magic\n"),
            "journey type: owner must be a unit or 'coordination', not 'ministry-of-magic'",
        ),
        (
            ("reference_prefix: TEST\n", "reference_prefix: TEST\nservice_norm_days: soon\n"),
            "journey type: service_norm_days must be a whole number of days above 0",
        ),
        (
            ("needs: [name]", "needs: [name], legal_basis: [Act, 1]"),
            "step first: 'legal_basis' must be text",
        ),
    ],
)
def test_a_bad_definition_names_the_place_and_loads_nothing(units, write, change, message):
    path = write(VALID.replace(*change))
    before = JourneyType.objects.count(), StepType.objects.count()
    with pytest.raises(DefinitionError) as error:
        journey_type_load(path)
    assert message in str(error.value)
    assert str(error.value).startswith(str(path))
    assert "\n" not in str(error.value)
    assert (JourneyType.objects.count(), StepType.objects.count()) == before


def test_a_malformed_file_gives_the_line(units, write):
    path = write("slug: x\nsteps: [a, {b\n")
    with pytest.raises(DefinitionError, match=r"service\.yaml: line \d+ is not well-formed YAML"):
        journey_type_load(path)


def test_a_json_definition_loads_too(units, write):
    path = write(
        '{"slug": "j", "name": "J", "reference_prefix": "J", "summary": "s",'
        ' "steps": [{"key": "a", "name": "A", "unit": "office-two"}]}',
        name="j.json",
    )
    journey_type, created = journey_type_load(path)
    assert created and journey_type.steps.get().unit.slug == "office-two"


def test_the_command_reports_each_file_and_fails_with_the_error(units, catalogue, write, capsys):
    path = str(write(VALID))
    call_command("load_journey_type", path)
    call_command("load_journey_type", path, str(CATALOGUE / "open-a-cafe.yaml"))
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("test-service v1 published")
    assert out[1].endswith("test-service v1 unchanged")
    assert out[2].endswith("open-a-cafe v1 unchanged")  # loaded once for the session
    with pytest.raises(CommandError, match="unknown unit 'nowhere'"):
        call_command("load_journey_type", str(write(VALID.replace("office-two", "nowhere"))))


def test_the_owner_and_the_service_norm_are_read(units, write):
    owned = VALID.replace(
        "reference_prefix: TEST\n",
        "reference_prefix: TEST\nowner: office-two\nservice_norm_days: 30\n",
    )
    journey_type, _ = journey_type_load(write(owned))
    assert journey_type.owner_unit.slug == "office-two"
    assert journey_type.service_norm_days == 30
    coordinated, _ = journey_type_load(write(VALID.replace("Test service", "Test service 2")))
    assert coordinated.owner_unit is None and coordinated.service_norm_days is None


FILES = """
slug: test-service
name: Test service
reference_prefix: TEST
summary: A service for tests.
fields:
  - {key: name, label: Name}
  - {key: plan, kind: file, accept: [pdf, png], label: {en: Plan, sv: Ritning}}
  - {key: photo, kind: file, optional: true, label: Photo}
steps:
  - {key: first, name: First, unit: office-one, needs: [name, plan]}
  - {key: second, name: Second, unit: office-two, needs: [plan, photo]}
"""


def test_a_file_field_is_published_with_the_types_it_takes(units, write):
    journey_type, _ = journey_type_load(write(FILES))
    plan, photo = journey_type.fields[1:]
    assert plan == {
        "key": "plan",
        "kind": "file",
        "optional": False,
        "accept": ["pdf", "png"],
        "label": "Plan",
    }
    assert photo["kind"] == "file" and photo["optional"] and "accept" not in photo
    assert journey_type.steps.get(key="second").needs == ["plan", "photo"]
    with translation.override("sv"):
        assert journey_type.field("plan")["label"] == "Ritning"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("accept: [pdf, png]", "accept: [pdf, docx]"),
            "field plan: 'accept' names unknown file type(s) docx: the portal takes pdf, jpg, png",
        ),
        (("accept: [pdf, png]", "accept: []"), "field plan: 'accept' must be a list"),
        (("accept: [pdf, png]", "accept: pdf"), "field plan: 'accept' must be a list"),
        (
            ("accept: [pdf, png]", "shared: true"),
            "field plan: a file cannot be shared: it goes to the steps that need it",
        ),
        (
            ("{key: name, label: Name}", "{key: name, accept: [pdf], label: Name}"),
            "field name: 'accept' is for a field of kind 'file'",
        ),
        (
            ("unit: office-one, needs", "route: {by: plan, rules: [], default: office-one}, needs"),
            "step first: route: 'by' cannot name a file field ('plan')",
        ),
    ],
)
def test_a_bad_file_field_names_the_place_and_loads_nothing(units, write, change, message):
    path = write(FILES.replace(*change))
    with pytest.raises(DefinitionError) as error:
        journey_type_load(path)
    assert message in str(error.value)
    assert rows() == (0, 0)


RETENTION = (
    FILES
    + """
retention:
  decision: {en: Disposal decision 2026:1, sv: Gallringsbeslut 2026:1}
  case: {years: 10}
  documents:
    decision_letter: forever
    plan: forever
    photo: at_decision
    from_units: {years: 2}
"""
)


def test_the_disposal_rules_are_published_with_the_type(units, write, catalogue):
    journey_type, _ = journey_type_load(write(RETENTION))
    assert journey_type.retention == {
        "case": {"keep": "years", "years": 10},
        "documents": {
            "decision_letter": {"keep": "forever"},
            "plan": {"keep": "forever"},
            "photo": {"keep": "at_decision"},
            "from_units": {"keep": "years", "years": 2},
        },
    }
    rules = journey_type.rules
    assert rules.for_kind("photo").keep == "at_decision"
    for kind in ("sent_later", "receipt", "superseded_letter"):  # not listed: as the case
        assert rules.for_kind(kind).as_data == {"keep": "years", "years": 10}
    assert journey_type.disposal_decision == "Disposal decision 2026:1"
    with translation.override("sv"):
        assert journey_type.display_disposal_decision == "Gallringsbeslut 2026:1"
    # A type without rules disposes of nothing; the shipped ones have theirs.
    assert JourneyType(retention={}).rules is None
    assert catalogue["open-a-cafe"].rules.for_kind("menu").keep == "at_decision"
    assert catalogue["open-a-cafe"].rules.for_kind("decision_letter").is_forever
    assert catalogue["extend-a-house"].rules.case.is_forever


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("  case: {years: 10}\n", ""),
            "retention: 'case' is missing",
        ),
        (
            ("  decision: {en: Disposal decision 2026:1, sv: Gallringsbeslut 2026:1}\n", ""),
            "retention: 'decision' is missing: name the disposal decision it follows",
        ),
        (
            ("case: {years: 10}", "case: {years: 0}"),
            "retention.case: must be 'forever', 'at_decision' or {years: N}",
        ),
        (
            ("case: {years: 10}", "case: ten years"),
            "retention.case: must be 'forever', 'at_decision' or {years: N}",
        ),
        (
            ("photo: at_decision", "photo: when convenient"),
            "retention.documents.photo: must be 'forever', 'at_decision' or {years: N}",
        ),
        (
            ("photo: at_decision", "menu: at_decision"),
            "retention.documents: unknown document kind 'menu': the kinds are decision_letter, "
            "from_units, photo, plan, receipt, sent_later, superseded_letter",
        ),
        (
            ("  documents:\n", "  shelf: B4\n  documents:\n"),
            "retention: unknown key(s) shelf",
        ),
        (
            ("decision_letter: forever", "receipt: {years: 1}"),
            "retention.documents.receipt: must keep at least as long as 'case': the portal "
            "prints a missing letter again from the case",
        ),
        (
            ("decision_letter: forever", "decision_letter: at_decision"),
            "retention.documents.decision_letter: must keep at least as long as 'case'",
        ),
        (
            (
                "decision: {en: Disposal decision 2026:1, sv: Gallringsbeslut 2026:1}",
                "decision: [1]",
            ),
            "retention: 'decision' must be text",
        ),
    ],
)
def test_bad_disposal_rules_name_the_place_and_load_nothing(units, write, change, message):
    path = write(RETENTION.replace(*change))
    with pytest.raises(DefinitionError) as error:
        journey_type_load(path)
    assert message in str(error.value)
    assert rows() == (0, 0)
