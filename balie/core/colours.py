"""Readable colours from a firm's own colour, by WCAG 2.2's contrast ratio.

A firm picks one colour (``Firm.primary_colour``); pages put white or dark text on it, and use it
for links and buttons on white. Any colour a firm picks must stay readable: text on the colour is
white or near-black, whichever reaches 4.5:1, and the colour itself, where it is text on white, is
darkened until it does.
"""

from __future__ import annotations

AA_TEXT = 4.5  # WCAG 1.4.3, normal-size text
WHITE = "#ffffff"
INK = "#1d2330"  # the pages' own text colour
BLACK = "#000000"


def rgb(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` as three numbers from 0 to 255."""
    value = colour.strip().lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def hex_colour(red: float, green: float, blue: float) -> str:
    return "#" + "".join(f"{max(0, min(255, round(part))):02x}" for part in (red, green, blue))


def relative_luminance(colour: str) -> float:
    """WCAG's relative luminance: 0 for black, 1 for white."""

    def linear(part: int) -> float:
        channel = part / 255
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(part) for part in rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """From 1 (the same) to 21 (black on white), whichever of the two is lighter."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(colour: str, other: str, share: float) -> str:
    """``colour`` with ``share`` (0 to 1) of ``other`` mixed in, as CSS ``color-mix(in srgb, ...)``."""
    return hex_colour(*((1 - share) * a + share * b for a, b in zip(rgb(colour), rgb(other), strict=True)))


def text_on(background: str, minimum: float = AA_TEXT) -> str:
    """White, the pages' ink or black, whichever first reads on ``background`` with ``minimum`` contrast.

    One of white and black always reaches 4.5:1 (the worst case, a mid grey, gives about 4.6:1).
    """
    for candidate in (WHITE, INK):
        if contrast_ratio(candidate, background) >= minimum:
            return candidate
    return max((WHITE, BLACK), key=lambda candidate: contrast_ratio(candidate, background))


def readable_against(colour: str, background: str = WHITE, minimum: float = AA_TEXT) -> str:
    """``colour`` itself when it reads on ``background``, else the nearest shade of it that does:
    darkened on a light background, lightened on a dark one."""
    if contrast_ratio(colour, background) >= minimum:
        return colour
    towards = BLACK if relative_luminance(background) > 0.18 else WHITE
    for step in range(1, 101):
        shade = mix(colour, towards, step / 100)
        if contrast_ratio(shade, background) >= minimum:
            return shade
    return towards


def brand_palette(colour: str) -> dict[str, str]:
    """The CSS variables a page derives from a firm's colour (see static/balie/balie.css).

    ``brand``: the colour as chosen, for backgrounds; ``brand-ink``: text on it; ``brand-text``:
    the colour as text (links, outlined buttons) on white; ``brand-deep`` and ``brand-deep-ink``:
    the menu band, a darker shade, and text on it; ``brand-raised`` : the header's pills (user
    menu, environment, bell), shaded away from the text colour so that the text on them reads
    better than on the header itself.
    """
    ink = text_on(colour)
    deep = mix(colour, BLACK, 0.2)
    raised = mix(colour, BLACK if ink == WHITE else WHITE, 0.15)
    return {
        "brand": colour,
        "brand-ink": ink,
        "brand-text": readable_against(colour),
        "brand-deep": deep,
        "brand-deep-ink": text_on(deep),
        "brand-raised": raised,
    }
