"""Routing rules as data: which unit a step goes to, chosen by the applicant's answers.

A step type may carry a rule instead of a fixed unit (`route` in the journey type file):

    route:
      by: premises_postcode          # the field whose answer decides
      rules:                         # the first rule that matches wins
        - {prefix: ["113", "114"], unit: environment-health-north}
        - {range: {from: 11800, to: 12999}, unit: environment-health-south}
        - {in: [Kungsholmen, Vasastan], unit: environment-health-north}
        - {equals: Södermalm, unit: environment-health-south}
        - {at_least: 200, unit: building-control}    # a numeric threshold
        - {below: 50, unit: building-control}
      default: environment-health     # required: no answer, or no rule matched

Text compares without case and surrounding space; numbers (ranges and thresholds) read the
answer's digits and decimal point only, so "114 55" is 11455 and "250 m²" is 250.
"""

import re
from decimal import Decimal, InvalidOperation

CONDITIONS = ("equals", "in", "prefix", "range", "at_least", "below")
ROUTE_KEYS = {"by", "rules", "default"}
RULE_KEYS = {*CONDITIONS, "unit"}


def _text(value) -> str:
    return str(value).strip().casefold()


def _number(value) -> Decimal | None:
    """The answer read as a number: its digits (and a decimal point), or None."""
    if isinstance(value, bool) or value is None:
        return None
    digits = re.sub(r"[^0-9.,]", "", str(value)).replace(",", ".")
    try:
        return Decimal(digits) if digits else None
    except InvalidOperation:
        return None


def rule_matches(rule: dict, answer) -> bool:
    """Whether one rule (one condition and its unit) matches an answer."""
    if answer is None or answer == "":
        return False
    if "equals" in rule:
        return _text(answer) == _text(rule["equals"])
    if "in" in rule:
        return _text(answer) in {_text(v) for v in rule["in"]}
    if "prefix" in rule:
        compact = re.sub(r"\s", "", _text(answer))
        prefixes = rule["prefix"] if isinstance(rule["prefix"], list) else [rule["prefix"]]
        return any(compact.startswith(re.sub(r"\s", "", _text(p))) for p in prefixes)
    number = _number(answer)
    if number is None:
        return False
    if "range" in rule:
        return Decimal(str(rule["range"]["from"])) <= number <= Decimal(str(rule["range"]["to"]))
    if "at_least" in rule:
        return number >= Decimal(str(rule["at_least"]))
    return number < Decimal(str(rule["below"]))


def route_unit(route: dict, data: dict) -> str:
    """The slug of the unit a routed step goes to, for these answers."""
    answer = data.get(route["by"])
    return next(
        (rule["unit"] for rule in route["rules"] if rule_matches(rule, answer)), route["default"]
    )


def route_units(route: dict) -> set[str]:
    """Every unit a rule may choose (its branches and its default)."""
    return {route["default"], *(rule["unit"] for rule in route["rules"])}


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def route_problems(route, *, fields: set[str], units: set[str]) -> list[str]:
    """What is wrong with a rule, in words for the file's author (empty: nothing)."""
    if not isinstance(route, dict):
        return ["route must be a mapping with 'by', 'rules' and 'default'"]
    problems = []
    if unknown := set(route) - ROUTE_KEYS:
        problems.append(f"route: unknown key(s) {', '.join(sorted(unknown))}")
    if route.get("by") not in fields:
        problems.append(
            f"route: 'by' must name a field of the journey type, not {route.get('by')!r}"
        )
    if not route.get("default"):
        problems.append("route: a 'default' unit is required")
    elif route["default"] not in units:
        problems.append(f"route: unknown default unit '{route['default']}'")
    rules = route.get("rules")
    if not isinstance(rules, list) or not rules:
        return [*problems, "route: 'rules' must be a list of at least one rule"]
    for index, rule in enumerate(rules, start=1):
        where = f"route rule {index}"
        if not isinstance(rule, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        if unknown := set(rule) - RULE_KEYS:
            problems.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if not rule.get("unit"):
            problems.append(f"{where}: 'unit' is missing")
        elif rule["unit"] not in units:
            problems.append(f"{where}: unknown unit '{rule['unit']}'")
        conditions = [c for c in CONDITIONS if c in rule]
        if len(conditions) != 1:
            problems.append(f"{where}: needs exactly one of {', '.join(CONDITIONS)}")
            continue
        problem = _condition_problem(conditions[0], rule[conditions[0]])
        if problem:
            problems.append(f"{where}: {problem}")
    return problems


def _condition_problem(kind: str, value) -> str:
    if kind == "equals" and not isinstance(value, str | int | float):
        return "'equals' must be one value"
    if kind == "in" and not (isinstance(value, list) and value):
        return "'in' must be a list of values"
    if kind == "prefix" and not (
        isinstance(value, str)
        or (isinstance(value, list) and value and all(isinstance(v, str | int) for v in value))
    ):
        return "'prefix' must be text or a list of texts"
    if kind == "range":
        if not (
            isinstance(value, dict)
            and set(value) == {"from", "to"}
            and _is_number(value["from"])
            and _is_number(value["to"])
        ):
            return "'range' must be a mapping of numbers 'from' and 'to'"
        if value["from"] > value["to"]:
            return "'range' must not end before it starts"
    if kind in ("at_least", "below") and not _is_number(value):
        return f"'{kind}' must be a number"
    return ""
