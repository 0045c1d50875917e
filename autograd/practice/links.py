"""The names :mod:`autograd.practice` takes from the rest of chainrule, gathered in one place.

The op table and the engine come through the public API; the few helpers of the drawing and the text
tools (the highlighted edge, the one number format, the one HTML escaper) are imported here only, so
that when a module moves, this file is the one to change.
"""

from __future__ import annotations

from autograd import Value, ops
from autograd.core.ops import OPS, Op, pow_const
from autograd.see.draw import Highlight, draw_dot
from autograd.see.html import render_svg
from autograd.see.names import symbolic_local, wrap_name
from autograd.see.text import format_number, html_text

__all__ = ["Value", "ops", "OPS", "Op", "pow_const", "html_text", "Highlight", "draw_dot", "render_svg",
           "format_number", "symbolic_local", "wrap_name"]
