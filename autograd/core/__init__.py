"""The engine a student reads first, standard library only: the op table (``ops``), the node and
the backward pass (``engine``), recording switched off (``grad_mode``), weighted sums (``layers``),
micrograd-style hand-built nodes (``handmade``), copying and pickling graphs (``copying``), safe
walks for the tools (``walk``), the checks of arguments (``checks``) and the names of optional
packages (``extras``). Nothing here imports anything outside this folder."""
