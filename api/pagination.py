from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from api.problems import Problem


class IdCursorPagination(CursorPagination):
    """Opaque cursors over the primary key: a page costs one index range scan however deep it
    is, and rows written meanwhile neither repeat nor shift a page (unlike offsets). A page
    size that is not a whole number from 1 to max_page_size is a 400 problem, not ignored, and
    so is a cursor the API did not give (DRF's own answer is a 404, as if the list were gone)."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not (value.isascii() and value.isdigit() and 1 <= int(value) <= self.max_page_size):
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(value)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as error:
            raise Problem(
                status.HTTP_400_BAD_REQUEST,
                "invalid-cursor",
                _("The cursor is not valid"),
                _("Send a cursor a page gave as its next or previous link, or none."),
            ) from error

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": self.max_page_size}
                parameter["description"] = f"Rows per page (default {self.page_size})."
        return parameters
