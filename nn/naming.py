"""nn's naming of parameters, read back from a graph: which neuron and layer each node belongs to.

``nn`` names every parameter by where it sits (``layers.1.neurons.3.w.0``, as
``Module.named_parameters`` gives them), and this module reads those names back: it groups the
nodes of a graph into neurons, and neurons into layers. ``draw_dot(cluster=True)`` frames each
group and ``draw_dot(collapse='neuron')`` draws each neuron as one box; the scheme is nn's own, so
it lives here and is handed to the pictures when ``nn`` is imported
(:func:`autograd.see.names.set_grouping`).
"""

from __future__ import annotations

import re

from autograd import Value
from autograd.see.names import Grouping, set_grouping

__all__ = ["owner_of", "neuron_groups", "GROUPING"]


def owner_of(label: str) -> str:
    """The module a dotted name belongs to: ``layers.1.neurons.3.w.0`` -> ``layers.1.neurons.3``.

    A trailing list index is dropped together with the name before it, so the
    same rule takes a neuron (``layers.1.neurons.3``) to its layer (``layers.1``).
    A trailing index in brackets, as :func:`autograd.name_parameters` writes a weight
    matrix's entries, is dropped alone: the entry ``layer0.attn_wq[3][5]`` belongs to
    row 3, ``layer0.attn_wq[3]`` (one output's weights: a neuron), and the row to the
    matrix ``layer0.attn_wq`` (a layer).
    """
    bracket = re.fullmatch(r"(.+)\[\d+\]", label)
    if bracket:
        return bracket.group(1)
    parts = label.split(".")
    if parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1])


def neuron_groups(order: list[Value]) -> dict[Value, str]:
    """Which neuron each node belongs to, read from the parameter names that ``nn`` gives.

    A neuron ``N`` is named by its parameters (leaves labelled ``N.w.0``, ``N.b``...).
    It owns those parameters, the node labelled ``N`` (its output), and the
    unlabelled results in between (its weighted sum, its activation). Other
    uses of a parameter, such as a weight-decay term ``sum(p * p)``, stay
    outside. Nodes that belong to no neuron are left out of the mapping.
    """
    group: dict[Value, str] = {}
    for v in order:
        if not v._prev and v.label:
            owner = owner_of(v.label)
            if owner:
                group[v] = owner
    names = set(group.values())
    if not names:
        return group
    for v in order:  # parents come first, so an unlabelled node sees its parents' groups
        if v in group:
            continue
        if v.label in names:
            group[v] = v.label
        elif v.label:
            owner = owner_of(v.label)
            while owner and owner not in names:
                owner = owner_of(owner)
            if owner:
                group[v] = owner
    # Unlabelled results join a neuron if they lie between its parameters and one of its outputs (a
    # model run over several examples makes one output per example, each labelled with the neuron's name).
    position = {v: i for i, v in enumerate(order)}
    for out in order:
        if out.label in names and out._prev:
            for v in _between(out, out.label, group, position):
                group.setdefault(v, out.label)
    return group


def _between(out: Value, name: str, group: dict[Value, str], position: dict[Value, int]) -> list[Value]:
    """The unlabelled results that neuron ``name``'s output is computed from (stopping at
    labelled nodes and leaves) and that depend on one of its parameters."""
    candidates: list[Value] = []
    stack, seen = list(out._prev), {out}
    while stack:
        v = stack.pop()
        if v in seen or v.label or not v._prev:
            continue
        seen.add(v)
        candidates.append(v)
        stack.extend(v._prev)
    candidates.sort(key=position.__getitem__)  # parents before children
    kept: set[Value] = set()
    for v in candidates:
        if any(p in kept or (not p._prev and group.get(p) == name) for p in v._prev):
            kept.add(v)
    return [v for v in candidates if v in kept]


#: nn's scheme as the pictures use it: the neuron of each node, and the layer around each neuron.
GROUPING = Grouping(neuron_groups, owner_of)
set_grouping(GROUPING)
