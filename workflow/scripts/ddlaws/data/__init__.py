"""Data: the datasets (sources, verification, ZCA), augmentations (DSA, crop and
flip) and the distilled-set files the methods hand to the evaluation."""
