"""Data: the dataset registry and its catalog (one module per dataset, imported at parse time),
the datasets of the config, the readers of on-disk layouts, the dataset files (sources,
verification, ZCA), augmentations (DSA, crop and flip) and the distilled-set files the
methods hand to the evaluation."""
