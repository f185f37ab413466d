"""Validate a catalogue folder: `python -m simpul.demo.check_seed [FOLDER]`."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import ValidationError

from simpul.catalogue.seed import DEMO_FOLDER, load_catalogue_folder


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEMO_FOLDER
    try:
        seed = load_catalogue_folder(folder)
    except ValidationError as exc:
        print(exc)
        return 1
    services = sum(len(a.services) for a in seed.agencies)
    print(f"{folder}: {len(seed.agencies)} agencies, {services} services: OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
