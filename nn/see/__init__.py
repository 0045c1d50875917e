"""Pictures and live views of networks: the network drawn as neurons and weights (``network``),
gradients as matrices (``inspect``), matplotlib plots (``plot``), Jupyter tables (``display``),
training drawn live (``live``) and the demo (``demo``). They import nn and autograd.see."""
