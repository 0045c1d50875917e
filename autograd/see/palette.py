"""The one palette of every picture chainrule makes: one colour per meaning.

What you can do with it::

    from autograd.see import palette
    palette.sign(-0.3)           # RED: the hue of a negative number
    palette.shade(0.8, 1.0)      # a blue as deep as 0.8 is large on a scale up to 1
    palette.for_class(+1)        # BLUE: class +1 (and class 1 of labels 0/1)
    palette.for_class(3, k=10)   # the 4th colour of a many-class picture

The meanings, the same in the graphs (``draw_dot(color='grad')``), the player, the network view,
``nn.plot``, the live view and the playground:

* BLUE is positive, and the class +1 (or 1 of 0/1) of a two-class problem;
* RED is negative, and the class -1 (or 0);
* GREY (NEUTRAL) is zero, or a gradient not computed yet;
* GOLD (HIGHLIGHT) is "look here": the step the player is at (its edge and the box it changed);
* the other hues (OTHERS) name things without a sign: the classes of a many-class problem,
  metrics beside the loss, a function and its derivative in ``plot_derivative``.

Every module that draws reads its colours here, so a colour changes in one place; a test
(``tests/see/test_palette.py``) finds any colour written elsewhere.
"""

from __future__ import annotations

__all__ = ["BLUE", "RED", "POSITIVE", "NEGATIVE", "NEUTRAL", "HIGHLIGHT", "HIGHLIGHT_FILL", "OTHERS",
           "INK", "MUTED", "LINE", "FRAME", "FAINT", "PANEL", "ZERO_FILL", "WHITE", "LIGHT", "NIGHT",
           "sign", "shade", "mix", "rgb", "for_class"]

BLUE = "#316bd6"
RED = "#d63b31"
POSITIVE, NEGATIVE = BLUE, RED
NEUTRAL = "#8c959f"
HIGHLIGHT = "#b8860b"  # the player's active edge and the border of the box it just changed
HIGHLIGHT_FILL = "#ffe28a"
#: Hues that carry no sign: many classes, metrics, curves. Neither blue nor red, so never read as a sign.
OTHERS = ("#2e9e4f", "#9b59b6", "#e08e0b", "#17a2b8", "#7f5539", "#e83e8c", "#556b2f", "#5d4e9b")

INK = "#1f2328"  # text, and a curve that is "the function"
MUTED = "#57606a"
LINE = "#555555"  # a graph's edges
FRAME = "#888888"  # a layer's frame; axes at zero
FAINT = "#aaaaaa"  # a neuron's frame; a weight shared by every time step
PANEL = "#f3f4f6"  # a box that carries no number (the network's neurons before an input is given)
ZERO_FILL = "#eceef1"
WHITE = "#ffffff"
DARK_BACKGROUND = "#191919"

#: The HTML views' theme variables (``--cr-NAME``), light and dark; positive and negative as above.
LIGHT = {"fg": INK, "muted": MUTED, "bg": WHITE, "panel": PANEL, "border": "#c9d1d9", "button": "#f6f8fa",
         "accent": "#9a4d00", "error": "#b42318", "positive": BLUE, "negative": RED}
NIGHT = {"fg": "#e6edf3", "muted": "#a8b3bf", "bg": "#161b22", "panel": "#22272e", "border": "#444c56",
         "button": "#2d333b", "accent": "#ffb454", "error": "#ff8f80", "positive": "#6fa1ff",
         "negative": "#ff7b72"}


def rgb(colour: str) -> tuple[int, int, int]:
    """``'#316bd6'`` as ``(49, 107, 214)``."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def mix(colour: str, t: float) -> str:
    """``colour`` mixed into white: ``t = 0`` is white, ``t = 1`` the colour itself."""
    return "#{:02x}{:02x}{:02x}".format(*[round(255 + (c - 255) * t) for c in rgb(colour)])


def sign(x: float) -> str:
    """The hue of a number's sign: BLUE above zero, RED below, NEUTRAL for zero or NaN."""
    return POSITIVE if x > 0 else NEGATIVE if x < 0 else NEUTRAL


def shade(x: float, largest: float, low: float = 0.15, high: float = 0.7) -> str:
    """A fill for ``x`` on a scale up to ``largest``: its sign's hue, deeper for larger ``|x|``
    (from ``low`` to ``high`` of the full colour); white for 0, NaN or an empty scale."""
    if x == 0 or x != x or not largest > 0:
        return WHITE
    t = low + (high - low) * min(1.0, abs(x) / largest) ** 0.5
    return mix(sign(x), t)


def for_class(label: float, k: int = 2) -> str:
    """The colour of a class. With ``k = 2``, BLUE for +1 (or 1) and RED for -1 (or 0); with more
    classes, class ``label`` (0..k-1) takes the ``label``-th of OTHERS (repeating after 8)."""
    if k <= 2:
        return POSITIVE if label > 0 else NEGATIVE
    return OTHERS[int(label) % len(OTHERS)]
