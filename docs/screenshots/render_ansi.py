"""Draw a terminal capture with ANSI colours (``tmux capture-pane -e -p``) as a PNG.

Usage: python render_ansi.py CAPTURE.ans OUT.png [--columns 100] [--font-size 15]
Needs Pillow (not a codesearch dependency: ``pip install pillow`` in any environment).
Understands the SGR codes tmux emits: reset, bold, reverse, 16/256/true-colour foreground and
background. Every character takes one cell (the captures here are ASCII).
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
BACKGROUND = (30, 30, 30)
FOREGROUND = (212, 212, 212)
# The 16 base colours (VS Code's terminal palette): black, red, green, yellow, blue, magenta, cyan, white,
# then their bright variants.
BASE16 = [
    (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188), (17, 168, 205),
    (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67), (59, 142, 234),
    (214, 112, 214), (41, 184, 219), (255, 255, 255),
]
SGR = re.compile(r"\x1b\[([0-9;]*)m")
Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Style:
    fg: Colour | None = None  # None: the default colour
    bg: Colour | None = None
    bold: bool = False
    reverse: bool = False


def palette(index: int) -> Colour:
    """xterm's 256 colours: 16 base, a 6x6x6 cube, 24 greys."""
    if index < 16:
        return BASE16[index]
    if index < 232:
        index -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[index // 36], steps[index // 6 % 6], steps[index % 6]
    grey = 8 + 10 * (index - 232)
    return grey, grey, grey


def extended_colour(codes: list[int], at: int) -> tuple[Colour | None, int]:
    """The colour of ``38;5;n`` / ``38;2;r;g;b`` starting at ``codes[at]`` and how many codes it used."""
    if at + 1 < len(codes) and codes[at + 1] == 5 and at + 2 < len(codes):
        return palette(codes[at + 2]), 3
    if at + 1 < len(codes) and codes[at + 1] == 2 and at + 4 < len(codes):
        red, green, blue = codes[at + 2 : at + 5]
        return (red, green, blue), 5
    return None, 1


def apply_sgr(style: Style, parameters: str) -> Style:
    codes = [int(code) if code else 0 for code in parameters.split(";")] if parameters else [0]
    at = 0
    while at < len(codes):
        code, used = codes[at], 1
        if code == 0:
            style = Style()
        elif code == 1:
            style = replace(style, bold=True)
        elif code == 22:
            style = replace(style, bold=False)
        elif code == 7:
            style = replace(style, reverse=True)
        elif code == 27:
            style = replace(style, reverse=False)
        elif 30 <= code <= 37 or 90 <= code <= 97:
            style = replace(style, fg=BASE16[code - 30 if code < 90 else code - 82])
        elif 40 <= code <= 47 or 100 <= code <= 107:
            style = replace(style, bg=BASE16[code - 40 if code < 100 else code - 92])
        elif code in (38, 48):
            colour, used = extended_colour(codes, at)
            style = replace(style, fg=colour) if code == 38 else replace(style, bg=colour)
        elif code == 39:
            style = replace(style, fg=None)
        elif code == 49:
            style = replace(style, bg=None)
        at += used
    return style


def parse(text: str) -> list[list[tuple[str, Style]]]:
    """Rows of (character, style) cells; a style carries over line ends, as in the terminal."""
    rows: list[list[tuple[str, Style]]] = []
    style = Style()
    for line in text.split("\n"):
        cells: list[tuple[str, Style]] = []
        position = 0
        for match in SGR.finditer(line):
            cells.extend((char, style) for char in line[position : match.start()])
            style = apply_sgr(style, match.group(1))
            position = match.end()
        cells.extend((char, style) for char in line[position:])
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def render(rows: list[list[tuple[str, Style]]], columns: int, font_size: int) -> Image.Image:
    regular = ImageFont.truetype(str(FONT_DIR / "DejaVuSansMono.ttf"), font_size)
    bold = ImageFont.truetype(str(FONT_DIR / "DejaVuSansMono-Bold.ttf"), font_size)
    cell_w = round(regular.getlength("M"))
    ascent, descent = regular.getmetrics()
    cell_h = ascent + descent + 2
    pad = 14
    image = Image.new("RGB", (columns * cell_w + 2 * pad, len(rows) * cell_h + 2 * pad), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for y, cells in enumerate(rows):
        for x, (char, style) in enumerate(cells[:columns]):
            fg, bg = style.fg or FOREGROUND, style.bg or BACKGROUND
            if style.reverse:
                fg, bg = bg, fg
            left, top = pad + x * cell_w, pad + y * cell_h
            if bg != BACKGROUND:
                draw.rectangle([left, top, left + cell_w - 1, top + cell_h - 1], fill=bg)
            if char != " ":
                draw.text((left, top + 1), char, font=bold if style.bold else regular, fill=fg)
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--columns", type=int, default=100)
    parser.add_argument("--font-size", type=int, default=15)
    args = parser.parse_args()
    rows = parse(args.capture.read_text(encoding="utf-8"))
    render(rows, args.columns, args.font_size).save(args.out, optimize=True)


if __name__ == "__main__":
    main()
