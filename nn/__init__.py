"""Neural networks on top of :class:`autograd.Value`."""
