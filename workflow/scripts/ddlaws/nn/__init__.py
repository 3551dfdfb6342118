"""Networks: the model zoo, the CPU kernels of its first block, micro-batching
of forward and backward passes, and FLOP counting."""
