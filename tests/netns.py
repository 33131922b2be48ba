"""Running a command on another test host: a network namespace (tests/reliability/hosts.py)."""


def in_namespace(netns: str | None) -> list[str]:
    """The prefix that runs a command in the network namespace `netns`, or here if None."""
    return ["ip", "netns", "exec", netns] if netns else []
