"""Everything that shows a graph to a person: text and numbers (``text``), formulas (``formula``),
node names, HTML, Graphviz pictures (``draw``), the chain rule written out (``explain``), plots,
the step-by-step player and the live explorer. They import the core only, never tools or the
replay; each module loads its optional package (Graphviz, matplotlib, ipywidgets) itself."""
