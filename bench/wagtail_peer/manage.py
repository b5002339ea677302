#!/usr/bin/env python
"""The Wagtail peer site's manage.py (bench/peer_bench.py runs it in its own virtualenv)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
