"""Journey types as data: read a YAML/JSON definition, validate it whole, then publish it.

Loading the same definition twice changes nothing; a changed definition becomes a new version
and journeys already running keep the version they started with.
"""

import hashlib
import json
from pathlib import Path

import yaml
from django.db import transaction

from journeys.documents import FILE_TYPES
from journeys.graph import GraphError, graph_check
from journeys.models import JourneyType, StepType
from journeys.retention import retention_normalise, retention_problems
from journeys.routing import route_problems, route_units
from units.models import Unit

FIELD_KEYS = {"key", "label", "hint", "kind", "optional", "shared", "accept"}
# Not asked, but known: the personal identity number of the person who applied (from their
# e-ID). A step may `need` it like a field; journeys.disclosure shows it to that step's unit.
APPLICANT_IDENTITY_NUMBER = "applicant_identity_number"
FIELD_KINDS = {
    "text",
    "textarea",
    "email",
    "phone",
    "orgnr",
    "personnummer",
    "date",
    "yesno",
    # A document, asked on its own page: kept once as the journey's Document and attached by
    # reference to every step that `needs` the field. `accept` lists the types it takes (by
    # name, from the upload checks' own: journeys.documents.FILE_TYPES); all of them if left out.
    "file",
}
FILE_KIND = "file"
TYPE_KEYS = {
    "slug",
    "name",
    "summary",
    "reference_prefix",
    "documents_needed",
    "cost",
    "time_weeks",
    "fields",
    "steps",
    "stalled_after_days",
    "owner",
    "service_norm_days",
    "invoice_at",
    "retention",
}
# `owner`: the slug of the unit that owns the whole journey, or this word for the coordinators.
COORDINATION_OWNER = "coordination"
STEP_KEYS = {
    "key",
    "name",
    "description",
    "unit",
    "depends_on",
    "deadline",
    "fee",
    "fee_note",
    "needs",
    "applies_if",
    "route",
    "legal_basis",
    "invoice_at",
    "pay_before_decision",
}
# When a step's fee becomes an invoice (payments app): per journey type, or per step.
INVOICE_AT = {"submission", "decision"}


class DefinitionError(Exception):
    """A definition that cannot be published; the message names the file, the place and why."""


def _is_text(value) -> bool:
    """A text is a string, or a mapping of language codes to strings with English ("en")."""
    if isinstance(value, str):
        return True
    return (
        isinstance(value, dict)
        and isinstance(value.get("en"), str)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    )


def _english(value) -> str:
    return value["en"] if isinstance(value, dict) else value


def _other_languages(value) -> dict[str, str]:
    return {k: v for k, v in value.items() if k != "en"} if isinstance(value, dict) else {}


def _translations(texts: dict) -> dict:
    """{"name": {"en": .., "sv": ..}} -> {"sv": {"name": ..}} for the translations field."""
    result: dict[str, dict] = {}
    for attr, value in texts.items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                for lang, text in _other_languages(item).items():
                    result.setdefault(lang, {}).setdefault(attr, [_english(v) for v in value])
                    result[lang][attr][index] = text
            continue
        for lang, text in _other_languages(value).items():
            result.setdefault(lang, {})[attr] = text.strip()
    return result


def journey_type_load(path: Path | str) -> tuple[JourneyType, bool]:
    """Publish the definition in `path`. Returns the journey type and whether it was new."""
    path = Path(path)
    return journey_type_publish(_read(path), source=path)


def journey_type_publish(definition: dict, *, source: Path | str) -> tuple[JourneyType, bool]:
    """Validate an already-read definition whole, then publish it (errors name `source`)."""
    _Check(source, definition).run()
    return _publish(definition)


def _read(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DefinitionError(f"{path}: cannot be read ({error.strerror})") from error
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        where = getattr(error, "problem_mark", None)
        line = f" line {where.line + 1}" if where else ""
        raise DefinitionError(
            f"{path}:{line} is not well-formed {path.suffix[1:].upper()}"
        ) from error
    if not isinstance(data, dict):
        raise DefinitionError(f"{path}: expected a mapping of journey type keys at the top")
    return data


class _Check:
    def __init__(self, path: Path | str, definition: dict):
        self.path = path
        self.d = definition

    def fail(self, where: str, problem: str):
        raise DefinitionError(f"{self.path}: {where}: {problem}")

    def run(self) -> None:
        d = self.d
        for key in ("slug", "name", "summary", "reference_prefix", "steps"):
            if not d.get(key):
                self.fail("journey type", f"'{key}' is missing")
        for key in ("name", "summary"):
            self.text("journey type", key, d[key])
        for document in d.get("documents_needed", []):
            self.text("journey type", "documents_needed", document)
        if unknown := set(d) - TYPE_KEYS:
            self.fail("journey type", f"unknown key(s) {', '.join(sorted(unknown))}")
        fields = self._fields()
        steps = d["steps"]
        if not isinstance(steps, list):
            self.fail("steps", "must be a list")
        keys = [s.get("key") if isinstance(s, dict) else None for s in steps]
        units = dict(Unit.objects.values_list("slug", "bankgiro"))
        owner = d.get("owner", COORDINATION_OWNER)
        if owner != COORDINATION_OWNER and owner not in units:
            self.fail(
                "journey type", f"owner must be a unit or '{COORDINATION_OWNER}', not '{owner}'"
            )
        norm = d.get("service_norm_days")
        if norm is not None and not (
            isinstance(norm, int) and not isinstance(norm, bool) and norm > 0
        ):
            self.fail("journey type", "service_norm_days must be a whole number of days above 0")
        graph = {}
        for index, step in enumerate(steps, start=1):
            where = f"step {keys[index - 1] or index}"
            if not isinstance(step, dict):
                self.fail(where, "must be a mapping")
            for key in ("key", "name"):
                if not step.get(key):
                    self.fail(where, f"'{key}' is missing")
            if "route" in step:
                if "unit" in step:
                    self.fail(where, "give either 'unit' or a 'route' (with its default), not both")
                by = step["route"].get("by") if isinstance(step["route"], dict) else None
                if fields.get(by) == FILE_KIND:
                    self.fail(where, f"route: 'by' cannot name a file field ('{by}')")
                for problem in route_problems(step["route"], fields=set(fields), units=set(units)):
                    self.fail(where, problem)
            elif not step.get("unit"):
                self.fail(where, "'unit' is missing")
            if unknown := set(step) - STEP_KEYS:
                self.fail(where, f"unknown key(s) {', '.join(sorted(unknown))}")
            for key in ("name", "description", "fee_note", "legal_basis"):
                if key in step:
                    self.text(where, key, step[key])
            if keys.count(step["key"]) > 1:
                self.fail(where, "the key is used by more than one step")
            if "unit" in step and step["unit"] not in units:
                self.fail(where, f"unknown unit '{step['unit']}'")
            invoiced = step.get("fee") and step.get("invoice_at", d.get("invoice_at"))
            # A routed step's fee goes to whichever unit the route chooses: each needs a number.
            payees = route_units(step["route"]) if "route" in step else {step["unit"]}
            for payee in sorted(payees) if invoiced else []:
                if payee in units and not units[payee]:
                    self.fail(where, f"unit '{payee}' needs a bankgiro number for invoices")
            for needed in step.get("needs", []):
                if needed not in fields and needed != APPLICANT_IDENTITY_NUMBER:
                    self.fail(where, f"needs unknown field '{needed}'")
            condition = step.get("applies_if")
            if condition and fields.get(condition) != "yesno":
                self.fail(where, f"applies_if must name a yes/no field, not '{condition}'")
            deadline = step.get("deadline")
            if deadline is not None and not (
                isinstance(deadline, dict) and isinstance(deadline.get("days"), int)
            ):
                self.fail(where, "deadline must be a mapping with whole 'days'")
            depends_on = step.get("depends_on", [])
            if not isinstance(depends_on, list):
                self.fail(where, "depends_on must be a list of step keys")
            graph[step["key"]] = depends_on
            self._fee(where, step)
        try:
            graph_check(graph)
        except GraphError as error:
            self.fail("steps" if error.kind == "cycle" else f"step {error.nodes[0]}", error.detail)
        if "retention" in d:
            self._retention(d["retention"], fields)

    def _retention(self, retention, fields: dict[str, str]) -> None:
        """The disposal rules (journeys.retention): each well formed, for kinds that exist."""
        file_fields = {key for key, kind in fields.items() if kind == FILE_KIND}
        for where, problem in retention_problems(retention, file_fields=file_fields):
            self.fail(where, problem)
        self.text("retention", "decision", retention["decision"])

    def _fee(self, where: str, step: dict) -> None:
        """A fee is whole kronor; it is invoiced at submission or at decision; approval can
        wait for payment only of an invoice sent before the decision."""
        fee = step.get("fee")
        if fee is not None and (not isinstance(fee, int) or isinstance(fee, bool) or fee < 0):
            self.fail(where, "fee must be whole kronor (0 or more)")
        if "invoice_at" in self.d and self.d["invoice_at"] not in INVOICE_AT:
            self.fail("journey type", "invoice_at must be 'submission' or 'decision'")
        invoice_at = step.get("invoice_at", self.d.get("invoice_at"))
        if "invoice_at" in step and invoice_at not in INVOICE_AT:
            self.fail(where, "invoice_at must be 'submission' or 'decision'")
        waits = step.get("pay_before_decision", False)
        if not isinstance(waits, bool):
            self.fail(where, "'pay_before_decision' must be true or false")
        if waits and not (fee and invoice_at == "submission"):
            self.fail(
                where,
                "pay_before_decision needs a fee invoiced at submission "
                "(an invoice sent at the decision cannot be paid before it)",
            )

    def text(self, where: str, key: str, value) -> None:
        if not _is_text(value):
            self.fail(where, f"'{key}' must be text, or a mapping of languages to text with 'en'")

    def _fields(self) -> dict[str, str]:
        fields = {}
        for index, field in enumerate(self.d.get("fields", []), start=1):
            if not isinstance(field, dict) or not field.get("key") or not field.get("label"):
                self.fail(f"field {index}", "needs a 'key' and a 'label'")
            for key in ("label", "hint"):
                if key in field:
                    self.text(f"field {field['key']}", key, field[key])
            kind = field.get("kind", "text")
            if kind not in FIELD_KINDS:
                self.fail(f"field {field['key']}", f"unknown kind '{kind}'")
            if field["key"] in fields:
                self.fail(f"field {field['key']}", "is declared twice")
            if unknown := set(field) - FIELD_KEYS:
                self.fail(f"field {field['key']}", f"unknown key(s) {', '.join(sorted(unknown))}")
            for flag in ("optional", "shared"):
                if not isinstance(field.get(flag, False), bool):
                    self.fail(f"field {field['key']}", f"'{flag}' must be true or false")
            if kind == FILE_KIND:
                self._file_field(field)
            elif "accept" in field:
                self.fail(f"field {field['key']}", "'accept' is for a field of kind 'file'")
            fields[field["key"]] = kind
        return fields

    def _file_field(self, field: dict) -> None:
        where = f"field {field['key']}"
        if field.get("shared"):
            self.fail(
                where,
                "a file cannot be shared: it goes to the steps that need it (list it in their "
                "'needs')",
            )
        accept = field.get("accept", list(FILE_TYPES))
        if not isinstance(accept, list) or not accept:
            self.fail(where, f"'accept' must be a list of file types ({', '.join(FILE_TYPES)})")
        if unknown := [kind for kind in accept if kind not in FILE_TYPES]:
            self.fail(
                where,
                f"'accept' names unknown file type(s) {', '.join(map(str, unknown))}: "
                f"the portal takes {', '.join(FILE_TYPES)}",
            )


def _fingerprint(definition: dict) -> str:
    return hashlib.sha256(
        json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


@transaction.atomic
def _publish(d: dict) -> tuple[JourneyType, bool]:
    fingerprint = _fingerprint(d)
    current = (
        JourneyType.objects.select_for_update().filter(slug=d["slug"], is_current=True).first()
    )
    if current and current.source_hash == fingerprint:
        return current, False
    if current:
        JourneyType.objects.filter(pk=current.pk).update(is_current=False)
    cost, time_weeks = d.get("cost", {}), d.get("time_weeks", {})
    fields = d.get("fields", [])
    retention = d.get("retention")
    translations = _translations(
        {
            "name": d["name"],
            "summary": d["summary"],
            "documents_needed": d.get("documents_needed", []),
            **({"disposal_decision": retention["decision"]} if retention else {}),
        }
    )
    for field in fields:
        for lang, texts in _translations(
            {k: field[k] for k in ("label", "hint") if k in field}
        ).items():
            translations.setdefault(lang, {}).setdefault("fields", {})[field["key"]] = texts
    journey_type = JourneyType.objects.create(
        slug=d["slug"],
        version=current.version + 1 if current else 1,
        name=_english(d["name"]),
        summary=_english(d["summary"]).strip(),
        reference_prefix=d["reference_prefix"],
        documents_needed=[_english(doc) for doc in d.get("documents_needed", [])],
        translations=translations,
        fields=[
            {
                "kind": "text",
                "optional": False,
                **f,
                **{k: _english(f[k]) for k in ("label", "hint") if k in f},
            }
            for f in fields
        ],
        cost_min=cost.get("min", 0),
        cost_max=cost.get("max", 0),
        time_min_weeks=time_weeks.get("min", 0),
        time_max_weeks=time_weeks.get("max", 0),
        stalled_after_days=d.get("stalled_after_days"),
        owner_unit=Unit.objects.filter(slug=d.get("owner", COORDINATION_OWNER)).first(),
        service_norm_days=d.get("service_norm_days"),
        retention=retention_normalise(retention) if retention else {},
        disposal_decision=_english(retention["decision"]).strip() if retention else "",
        source_hash=fingerprint,
    )
    units = {u.slug: u for u in Unit.objects.all()}
    step_types = {}
    for order, s in enumerate(d["steps"], start=1):
        deadline = s.get("deadline") or {}
        step_types[s["key"]] = StepType.objects.create(
            journey_type=journey_type,
            key=s["key"],
            name=_english(s["name"]),
            description=_english(s.get("description") or "").strip(),
            translations=_translations(
                {k: s[k] for k in ("name", "description", "fee_note", "legal_basis") if k in s}
            ),
            unit=units[s["route"]["default"] if "route" in s else s["unit"]],
            routing=s.get("route", {}),
            order=order,
            deadline_days=deadline.get("days"),
            deadline_working_days=bool(deadline.get("working", False)),
            fee=s.get("fee"),
            fee_note=_english(s.get("fee_note", "")),
            invoice_at=s.get("invoice_at", d.get("invoice_at", "")) if s.get("fee") else "",
            pay_before_decision=s.get("pay_before_decision", False),
            needs=s.get("needs", []),
            applies_if=s.get("applies_if", ""),
            legal_basis=_english(s.get("legal_basis") or "").strip(),
        )
    for s in d["steps"]:
        step_types[s["key"]].depends_on.set(step_types[k] for k in s.get("depends_on", []))
    return journey_type, True
