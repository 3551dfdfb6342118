"""Training: the engine (one model), stacked training of many models, the
evaluation of distilled sets and references, and the MTT experts."""
