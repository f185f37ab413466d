"""What the leaders' pages (KPIs, savings, comparison) get to print figures the same way.

Templates call ``angka(n)``, ``angka(d, 1)`` and ``persen(share)`` (``simpul.core.numbers``)
instead of each having its own macro, and show ``online_definition`` where they count
"completed online" (``simpul.evaluation.online``). Passed in the page's context because the
template environment's filters belong to ``web.templating``.
"""

from __future__ import annotations

from typing import Any, Final

from simpul.core.numbers import format_number, format_percent
from simpul.evaluation.online import DEFINITION

FIGURES: Final[dict[str, Any]] = {
    "angka": format_number,
    "persen": format_percent,
    "online_definition": DEFINITION,
}
