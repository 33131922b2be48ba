from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Opaque cursors over the primary key: a page costs one index range scan however deep it
    is, and rows written meanwhile neither repeat nor shift a page (unlike offsets)."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
