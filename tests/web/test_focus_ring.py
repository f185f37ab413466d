"""The focus ring is visible on every colour Simpul's stylesheet paints (WCAG 2.4.7, 1.4.11),
computed from the CSS values themselves, so a change of colour is checked."""

from __future__ import annotations

import re

from simpul.web.static_files import STATIC_DIR

CSS = (STATIC_DIR / "simpul.css").read_text(encoding="utf-8")


def _luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _variables() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", CSS, re.S)
    assert root
    return dict(re.findall(r"(--[a-z-]+):\s*(#[0-9a-fA-F]{3,6})\b", root[1]))


def _resolve(value: str, variables: dict[str, str]) -> str | None:
    value = value.strip()
    var = re.fullmatch(r"var\((--[a-z-]+)\)", value)
    if var:
        return variables.get(var[1])
    return value if re.fullmatch(r"#[0-9a-fA-F]{3,6}", value) else None


def _focus_bands(variables: dict[str, str]) -> tuple[str, str]:
    rule = re.search(r"(?m)^:focus-visible\s*\{([^}]*)\}", CSS)
    assert rule, "a :focus-visible rule for every element"
    outline = re.search(r"outline:\s*(\d+)px\s+solid\s+([^;]+);", rule[1])
    offset = re.search(r"outline-offset:\s*(\d+)px", rule[1])
    shadow = re.search(r"box-shadow:\s*0\s+0\s+0\s+(\d+)px\s+([^;]+);", rule[1])
    assert outline and offset and shadow
    assert int(outline[1]) >= 2, "the outer band is at least 2 px"
    # The inner band fills the gap between the element and the outline: no stray colour.
    assert shadow[1] == offset[1]
    outer, inner = _resolve(outline[2], variables), _resolve(shadow[2], variables)
    assert outer and inner
    return inner, outer


def _painted_colours(variables: dict[str, str]) -> set[str]:
    """Every background the stylesheet paints: the page, cards, buttons, the header, notes."""
    colours = {variables["--bg"], variables["--card"], variables["--brand"]}
    for value in re.findall(r"background(?:-color)?:\s*([^;}]+)", CSS):
        resolved = _resolve(value.split()[0] if "var(" not in value else value, variables)
        if resolved:
            colours.add(resolved)
    return colours


def test_focus_bands_are_far_apart() -> None:
    inner, outer = _focus_bands(_variables())
    assert contrast(inner, outer) >= 9


def test_focus_ring_reaches_3_to_1_on_every_background_and_component() -> None:
    variables = _variables()
    inner, outer = _focus_bands(variables)
    colours = _painted_colours(variables)
    assert len(colours) >= 10, "the walk found the stylesheet's backgrounds"
    for colour in colours:
        best = max(contrast(inner, colour), contrast(outer, colour))
        assert best >= 3, f"the focus ring is not visible on {colour}"


def test_the_former_yellow_ring_would_fail() -> None:
    """The check is not vacuous: the old one-colour ring (#ffbf47) on the page's own
    background was 1.6:1."""
    assert contrast("#ffbf47", _variables()["--bg"]) < 3
