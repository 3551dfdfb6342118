"""ImageNette: 10 easy ImageNet classes (torchvision's 160 px copy), stored at one square size."""

from __future__ import annotations

from ...deferred import deferred
from ..registry import dataset

np = deferred("numpy")
readers = deferred("ddlaws.data.readers")

FOLDER, ARCHIVE = "imagenette2-160", "imagenette2-160.tgz"
CLASSES = ["tench", "English springer", "cassette player", "chain saw", "church",
           "French horn", "garbage truck", "gas pump", "golf ball", "parachute"]
SCHEMA = {
    "description": "ImageNette is stored at one square size (center crop after resize).",
    "type": "object",
    "additionalProperties": False,
    "default": {},
    "properties": {"image_size": {"type": "integer", "enum": [32, 64, 128], "default": 128,
                                  "description": "side in pixels"}},
}


def shape(block: dict) -> tuple[int, int, int]:
    side = int(block["image_size"])
    return 3, side, side


def _decode(root, size: int, download: bool = False) -> dict:
    """torchvision's reader of the folder (it compares no checksum), each image resized and center-cropped."""
    import torchvision.datasets as tvd
    import torchvision.transforms.v2.functional as TF

    from ...runtime import progress

    out = {}
    for split in ("train", "val"):
        # a second instance with download=True would re-check the archive; only fetch once
        ds = tvd.Imagenette(str(root), split=split, size="160px", download=download and split == "train")
        images = np.empty((len(ds), 3, size, size), dtype=np.uint8)
        labels = np.empty(len(ds), dtype=np.int64)
        for i in progress(range(len(ds)), desc=f"imagenette {split}"):
            img, label = ds[i]
            img = TF.pil_to_tensor(img.convert("RGB"))
            img = TF.resize(img, [size], antialias=True)
            images[i] = TF.center_crop(img, [size, size]).numpy()
            labels[i] = label
        key = "train" if split == "train" else "test"
        out[f"{key}_images"], out[f"{key}_labels"] = images, labels
    return out


def fetch(root, block: dict) -> dict:
    return _decode(root, int(block["image_size"]), download=True)


@dataset("imagenette", classes=10, shape=shape, sizes=(9469, 3925), fetch=fetch, class_names=CLASSES,
         schema=SCHEMA, publisher_split=True, how_to_supply=f"a directory holding {FOLDER}/ (torchvision's layout)")
def read(root, block: dict, scratch) -> dict:
    return _decode(readers.unpacked(root, FOLDER, ARCHIVE, scratch).parent, int(block["image_size"]))
