"""Graphs from the micrograd lecture, built fresh for each test that draws, explains or plays them."""

from __future__ import annotations

from autograd import Value


def lecture_L() -> tuple[Value, list[Value]]:
    """L = (a*b + c) * f with e = a*b and d = e + c, every node labelled; returns L and [a, b, c, f, e, d]."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c, f = Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, [a, b, c, f, e, d]
