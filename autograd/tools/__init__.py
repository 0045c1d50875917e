"""Tools that compute with the engine: forward mode (``forward``), Jacobians (``jacobian``),
gradient checks (``gradcheck``), anomaly mode (``anomaly``) and the comparison with PyTorch
(``compare``). They import the core only."""
