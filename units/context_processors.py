from units.roles import roles_of


def roles(request) -> dict:
    """The signed-in user's roles, for the navigation."""
    return {"roles": roles_of(request.user)}
