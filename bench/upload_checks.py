"""Upload checks benchmark: what looking inside a PDF costs, against reading it at all.

Builds PDFs with many small objects (all in compressed object streams, the layout that hides
active content from a byte search), then times, each the best of ``--repeat`` runs:

* the **baseline**: qpdf reading every object (``pikepdf.open`` and ``pdf.objects``), the least
  any check that looks at every object pays;
* hashing the file (SHA-256), which every upload pays anyway;
* ``inspection.inspect_pdf``: open, then every object's text (``unparse``) searched for the
  names of active content, and only those objects walked in Python;
* a plain walk in Python of every object and its direct parts (the check without the
  ``unparse`` pre-filter), for comparison.

It prints the seconds and each as a ratio to the baseline of the same run; absolute times
depend on the machine and its load, compare the ratios. Run it from the repository root::

    .venv/bin/python bench/upload_checks.py [--objects N ...] [--repeat R]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import time
from collections.abc import Callable, Sequence
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from simpul.applications.inspection import inspect_pdf


def many_objects(count: int) -> bytes:
    """A one-page PDF with ``count`` extra small dictionaries in object streams."""
    pdf = pikepdf.Pdf.new()
    pdf.add_blank_page(page_size=(300, 100))
    items = Array()
    for n in range(count):
        items.append(pdf.make_indirect(Dictionary(N=n, Kids=Array([1, 2, Name.X]))))
    pdf.Root.Extra = pdf.make_indirect(items)
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def plain_walk(data: bytes) -> int:
    """Every object and its direct parts, walked in Python; returns the keys seen."""
    keys = 0
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for obj in pdf.objects:
            pending: list[Any] = [obj]
            while pending:
                item = pending.pop()
                if isinstance(item, Dictionary | Stream):
                    for key in item.keys():  # noqa: SIM118 - a pikepdf dictionary
                        keys += 1
                        value = item.get(key)
                        if isinstance(value, Dictionary | Array) and not value.is_indirect:
                            pending.append(value)
                elif isinstance(item, Array):
                    pending.extend(
                        v for v in item if isinstance(v, Dictionary | Array) and not v.is_indirect
                    )
    return keys


def open_only(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.objects)


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, nargs="+", default=[1_000, 50_000, 200_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'objects':>8} {'MB':>6} {'scenario':<26} {'seconds':>8} {'x baseline':>11}")
    print("(absolute seconds depend on the machine and its load; compare the ratios)")
    for count in args.objects:
        data = many_objects(count)
        baseline = best_of(args.repeat, lambda data=data: open_only(data))
        scenarios: list[tuple[str, Callable[[], object]]] = [
            ("qpdf reads all (baseline)", lambda data=data: open_only(data)),
            ("sha256", lambda data=data: hashlib.sha256(data).hexdigest()),
            ("inspect_pdf", lambda data=data: inspect_pdf(io.BytesIO(data))),
            ("plain walk in Python", lambda data=data: plain_walk(data)),
        ]
        for label, work in scenarios:
            seconds = baseline if label.endswith("(baseline)") else best_of(args.repeat, work)
            print(
                f"{count:>8} {len(data) / 1e6:>6.2f} {label:<26} {seconds:>8.3f} "
                f"{seconds / baseline:>11.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
