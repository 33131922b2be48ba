"""The reference client's credentials file (var/reference-client.json, readable by its owner only):
`seed_demo` writes the client's id and secret there, the reference client adds the subscription
it registered. The secret exists in this file and, hashed, in the database; nowhere else.

Plain standard library, as a unit's own system would have it: no Django here."""

import json
import os
from pathlib import Path

FILE_NAME = "reference-client.json"


def credentials_read(path: Path) -> dict | None:
    """The file's contents, or None if it is missing or not a JSON object."""
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def credentials_write(path: Path, contents: dict) -> None:
    """Write the whole file at once, mode 0600 from its first byte: a reader sees the old file or
    the new one, never half of one, and never a moment when others may read the secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            json.dump(contents, file, indent=2, sort_keys=True)
            file.write("\n")
        os.chmod(temporary, 0o600)  # whatever the umask was
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def credentials_update(path: Path, **changes) -> dict:
    """Change some keys (a value of None removes the key) and keep the rest."""
    contents = {**(credentials_read(path) or {}), **changes}
    contents = {key: value for key, value in contents.items() if value is not None}
    credentials_write(path, contents)
    return contents
