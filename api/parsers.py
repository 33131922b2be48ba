"""The one body the API reads: a JSON object; anything else is a 400 problem."""

import json

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JSONObjectParser(JSONParser):
    """DRF's JSON parser (which refuses unknown charsets and NaN), closing the ways a body could
    still reach a view as something it does not expect or end in a server error: nesting deep
    enough to exhaust Python's recursion, text that is not valid Unicode (a lone surrogate,
    which the database cannot store), and a top level that is not an object (every write here
    takes one)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (RecursionError, UnicodeError) as error:
            raise ParseError(_("The request body could not be read")) from error
        if not isinstance(data, dict):
            raise ParseError(_("Send the body as a JSON object"))
        return data
