"""scikit-learn's 1797 real 8x8 handwritten digits: embedded, the default, split here."""

from __future__ import annotations

import math

from ...deferred import deferred
from ..registry import dataset

np = deferred("numpy")

IMAGES = 1797
SCHEMA = {
    "description": "The train/test split of scikit-learn's digits (it ships without one).",
    "type": "object",
    "additionalProperties": False,
    "default": {},
    "properties": {
        "test_fraction": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.3,
                          "description": "share of each class held out for testing"},
        "split_seed": {"type": "integer", "minimum": 0, "default": 0, "description": "seed of the stratified split"},
    },
}


def sizes(block: dict) -> tuple[int, int]:
    """scikit-learn's ``train_test_split``: the test split is the fraction rounded up."""
    test = math.ceil(float(block["test_fraction"]) * IMAGES)
    return IMAGES - test, test


@dataset("digits", classes=10, shape=(1, 8, 8), sizes=sizes, source="scikit-learn load_digits",
         how_to_supply="it ships with scikit-learn; no copy is needed", schema=SCHEMA)
def read(root, block: dict, scratch) -> dict:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    # 17 grey levels (0..16) spread over the uint8 range
    images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None]
    labels = bunch.target.astype(np.int64)
    tr_x, te_x, tr_y, te_y = train_test_split(
        images, labels, test_size=float(block["test_fraction"]),
        random_state=int(block["split_seed"]), stratify=labels)
    return {"train_images": tr_x, "train_labels": tr_y, "test_images": te_x, "test_labels": te_y}
