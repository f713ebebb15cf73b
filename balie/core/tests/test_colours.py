"""The colour maths behind a firm's branding: WCAG 2.2 relative luminance and contrast ratio."""

import pytest

from balie.core.colours import (
    brand_palette,
    contrast_ratio,
    mix,
    readable_against,
    relative_luminance,
    text_on,
)


def test_luminance_runs_from_black_to_white():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert relative_luminance("#808080") == pytest.approx(0.2159, abs=1e-4)  # sRGB's grey is not half


def test_contrast_ratios_match_wcag_examples():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21)  # the order does not matter
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the famous near miss
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#1f5f8b", "#1f5f8b") == 1


def test_a_malformed_colour_is_refused():
    with pytest.raises(ValueError):
        relative_luminance("#fff")


def test_text_on_a_dark_colour_is_white_and_on_a_light_one_dark():
    assert text_on("#1f5f8b") == "#ffffff"
    assert text_on("#ffd700") == "#1d2330"
    assert contrast_ratio(text_on("#ffd700"), "#ffd700") >= 4.5


@pytest.mark.parametrize("colour", [f"#{grey:02x}{grey:02x}{grey:02x}" for grey in range(0, 256, 5)])
def test_text_on_any_grey_reaches_aa(colour):
    """Mid greys are the hardest: neither white nor the pages' ink reads on them, black does."""
    assert contrast_ratio(text_on(colour), colour) >= 4.5


def test_a_light_colour_as_text_on_white_is_darkened_in_its_own_hue():
    shade = readable_against("#ffd700")
    assert contrast_ratio(shade, "#ffffff") >= 4.5
    red, green, blue = (int(shade[i : i + 2], 16) for i in (1, 3, 5))
    assert red > green > blue  # still a yellow, not black
    assert readable_against("#1f5f8b") == "#1f5f8b"  # a colour that reads is left alone


def test_a_dark_colour_as_text_on_a_dark_background_is_lightened():
    shade = readable_against("#1f5f8b", background="#101010")
    assert contrast_ratio(shade, "#101010") >= 4.5


def test_mix_matches_css_color_mix_in_srgb():
    assert mix("#1f5f8b", "#000000", 0.2) == "#194c6f"
    assert mix("#000000", "#ffffff", 0.5) == "#808080"


@pytest.mark.parametrize("colour", ["#1f5f8b", "#6b2d5c", "#ffd700", "#777777", "#00ff00", "#ffffff", "#000000"])
def test_every_text_colour_of_a_palette_reads_on_its_background(colour):
    palette = brand_palette(colour)
    assert palette["brand"] == colour
    assert contrast_ratio(palette["brand-ink"], palette["brand"]) >= 4.5
    assert contrast_ratio(palette["brand-ink"], palette["brand-raised"]) >= 4.5
    assert contrast_ratio(palette["brand-deep-ink"], palette["brand-deep"]) >= 4.5
    assert contrast_ratio(palette["brand-text"], "#ffffff") >= 4.5
