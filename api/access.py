"""Every API read goes into the access log (records/): one entry per journey it showed.

The views need not say what they read: the mixin notes the object `get_object` found (a
journey, a step) and the rows `paginate_queryset` put on the page (journeys, steps, or rows
of another kind with their journey selected), and once a GET has succeeded writes one entry
per journey or step noted, all in one INSERT, under the view's `access_what` for its action.
The rows of a journey's or a step's own lists (its documents, events, handoffs) are that
journey or step, noted already. A read that showed no journey (the journey types, an empty
page) is one entry naming none. A view that reads otherwise notes what it showed itself
(`access_note`). A view that showed items marked as secret notes each (`access_note_secret`):
one more entry per item, of its own kind."""

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

from journeys.models import Document, Journey, SecrecyMarking, Step
from records.models import AccessLogEntry
from records.services import AccessRead, access_record_many

What = AccessLogEntry.What


def access_read(obj) -> AccessRead | None:
    """The entry an object read stands for: a journey, a step or a document (the view has
    selected its journey); anything else names no journey of its own."""
    if isinstance(obj, Journey):
        return AccessRead.of(obj)
    if isinstance(obj, Step):
        return AccessRead.of(obj.journey, step=obj)
    if isinstance(obj, Document):
        return AccessRead.of(obj.journey, document=obj)
    return None


def _row_read(obj) -> AccessRead | None:
    """The entry a row of a list page stands for: a journey, a step, or the journey a row of
    another kind was selected with (a webhook delivery); read from the row, never queried."""
    if isinstance(obj, Journey | Step):
        return access_read(obj)
    try:
        field = obj._meta.get_field("journey")
    except FieldDoesNotExist:  # a row of no journey
        return None
    return AccessRead.of(obj.journey) if field.is_cached(obj) else None


class AccessLogged:
    """A DRF view whose successful GETs are recorded in the access log."""

    # The action (`list`, `retrieve`, an @action's name, or `get` for a plain view) -> what
    # the entry says was read; an action not named here is recorded as "other".
    access_what: dict[str, str] = {}

    def access_note(self, objects) -> None:
        """Note objects this read shows (journeys, steps, documents)."""
        self._access_add(access_read(obj) for obj in objects)

    def access_note_secret(self, journey: Journey, markings: list[SecrecyMarking]) -> None:
        """Note the items marked as secret this read showed (their grounds selected)."""
        self._access_add(AccessRead.secret(journey, marking) for marking in markings)

    def _access_add(self, reads) -> None:
        noted = getattr(self, "_access_reads", None)
        if noted is None:
            noted = self._access_reads = {}
        for read in reads:
            if read is not None:
                # A journey noted twice (by its events' page and itself) is one entry.
                key = (read.journey_id, read.step_id, read.document_id, read.secrecy_marking_id)
                noted.setdefault(key, read)

    def get_object(self):
        obj = super().get_object()
        self.access_note([obj])
        return obj

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            self._access_add(_row_read(obj) for obj in page)
        return page

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Only a read that succeeded showed anything (a refusal's status comes first: its
        # request may have no client to name).
        if request.method == "GET" and 200 <= response.status_code < 300:
            self._access_record(request)
        return response

    def _access_record(self, request) -> None:
        client = getattr(request.user, "api_client", None)  # set by api.authentication
        if client is None:
            return
        action = getattr(self, "action", None) or request.method.lower()
        reads = list(getattr(self, "_access_reads", {}).values())
        access_record_many(
            user=request.user,
            api_client=client,
            what=self.access_what.get(action, What.OTHER),
            path=request.path,
            now=timezone.now(),
            reads=reads or [AccessRead()],
        )
