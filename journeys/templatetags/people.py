"""How a member of staff is named on pages and in e-mails: by their username, except the account
of a unit's own case system (an API client, api.ApiClient.user), which is named by its unit
("Tax Agency (own system)"): the unit decided, through its system, not a person called
"api.tax-agency-system.12"."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()

# Select this with the user (`select_related("actor__" + STAFF_NAME_RELATED)`), so naming them
# reads nothing more from the database.
STAFF_NAME_RELATED = "api_client__unit"


@register.filter
def staff_name(user) -> str:
    if user is None:
        return ""
    client = getattr(user, "api_client", None)  # the reverse one-to-one of api.ApiClient.user
    if client is None:
        return user.get_username()
    if client.unit_id is None:
        return client.name
    return _("%(unit)s (own system)") % {"unit": client.unit.display_name}
