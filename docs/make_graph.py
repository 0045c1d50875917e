"""Render docs/graph.png, the picture at the top of the README: the README tour's graph.

Run from the repository root: ``.venv/bin/python docs/make_graph.py``.
"""

from pathlib import Path

from autograd import Value

a, b = Value(2.0, label="a"), Value(-3.0, label="b")
c, f = Value(10.0, label="c"), Value(-2.0, label="f")
e = a * b
d = e + c
L = d * f
e.label, d.label, L.label = "e", "d", "L"
L.backward()

graph = L.draw(edge_labels=True)
graph.attr(dpi="110")
print(graph.render(str(Path(__file__).with_name("graph")), format="png", cleanup=True))
