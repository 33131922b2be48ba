#!/usr/bin/env python
"""Django's command-line utility for the journey portal."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if not os.environ.get("SECRET_KEY") and os.environ.get("DEBUG", "0") in ("", "0"):
        # Django would hide the settings' own error behind "Models aren't loaded yet".
        sys.exit(
            "Set SECRET_KEY (production) or DEBUG=1 (development) first; "
            ".env.example lists every setting. The Makefile's commands set them for you."
        )
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
