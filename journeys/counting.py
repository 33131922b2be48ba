"""Counts that stay cheap however large the tables grow.

A queue or dashboard tab shows how many rows it holds. Counting 100,000 open cases exactly on
every page view costs time in proportion to the backlog; past COUNT_CAP a page says "more than
1,000" instead, and the count reads at most COUNT_CAP + 1 index entries."""

from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet

COUNT_CAP = 1000


def capped_counts(querysets: dict[str, QuerySet], cap: int = COUNT_CAP) -> dict[str, int]:
    """Each queryset's row count, at most cap + 1, all in one query."""
    if not querysets:
        return {}
    selects, params = [], []
    for number, queryset in enumerate(querysets.values()):
        try:
            sql, query_params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing, such as `pk__in=[]`
            selects.append("0")
            continue
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{number})")
        params.extend(query_params)
    database = next(iter(querysets.values())).db
    with connections[database].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selects)}", params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))


class CappedPaginator(Paginator):
    """A paginator whose count is capped (and may be given, when the page already counted it).
    Past the cap it still pages on: each page reads one row more than it shows, to know whether
    a next page exists, instead of trusting a count it no longer has."""

    def __init__(self, object_list, per_page, *, count: int | None = None, cap: int = COUNT_CAP):
        super().__init__(object_list, per_page)
        self.cap = cap
        if count is not None:
            self.__dict__["count"] = count

    @cached_property
    def count(self) -> int:
        return capped_counts({"rows": self.object_list}, self.cap)["rows"]

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap

    def validate_number(self, number):
        if not self.is_capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        if not self.is_capped:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return CappedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)


class CappedPage(Page):
    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more
