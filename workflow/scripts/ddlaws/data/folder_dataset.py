"""A dataset of the config, ``kind: folder``: ``train/<class>/`` and ``test/<class>/`` trees of images.

The class names are the training split's folder names, in sorted order (their
indices are the labels); the images are 8-bit PNG or JPEG files of one size,
gray or colour as the first training image is (a gray image in a colour
dataset is converted to RGB). :func:`describe` runs at parse time and reads only the file
listing and one image's header (its size and mode), for the job resources and
the checks; :func:`read` decodes every image in the download job, and names
the file wherever the tree is not what it should be.
"""

from __future__ import annotations

from pathlib import Path

from ..plan.external import IMAGE_SUFFIXES, folder_files
from .registry import Dataset, fixed

SPLITS = ("train", "test")


def class_folders(root: Path) -> list[str]:
    train = root / "train"
    return sorted(d.name for d in train.iterdir() if d.is_dir()) if train.is_dir() else []


def _images(root: Path, split: str) -> list[Path]:
    folder = root / split
    return [p for p in folder_files(folder) if p.suffix.lower() in IMAGE_SUFFIXES] if folder.is_dir() else []


def _header_shape(path: Path) -> tuple[int, int, int]:
    """(channels, height, width) from an image file's header: 1 for gray, 3 for any colour mode."""
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        return (1 if image.mode in ("L", "1", "I;16", "I", "F") else 3), height, width


def describe(name: str, block: dict) -> Dataset:
    """The registry record of the folder dataset ``block`` declares, from its listing and one header."""
    root = Path(block["path"])
    classes = class_folders(root)
    images = {split: _images(root, split) for split in SPLITS}
    try:
        shape = _header_shape(images["train"][0])
    except (IndexError, OSError):  # the download job names what is wrong; the resources need some shape
        shape = (3, 32, 32)
    return Dataset(name, read, max(len(classes), 1), fixed(shape), fixed(tuple(len(images[s]) for s in SPLITS)),
                   f"a folder {root} holding train/<class>/ and test/<class>/ image files",
                   source=f"folder {root}", class_names=tuple(classes) or None)


def _decode(file: Path, channels: int, hint: str):
    """One image as uint8 [C, H, W]: in a colour dataset, a gray or palette image converted to RGB (as
    TinyImageNet holds a few gray JPEGs); in a gray one, a colour image refused."""
    from .external import ExternalSetError, read_image
    from .readers import DatasetInvalid, rgb_image

    try:
        return rgb_image(file) if channels == 3 else read_image(file, channels, hint).numpy()
    except ExternalSetError as err:
        raise DatasetInvalid(str(err)) from err
    except (OSError, SyntaxError) as err:
        raise DatasetInvalid(f"{file} is damaged or not an image ({err}). {hint}") from err


def read(root, block: dict, scratch) -> dict:
    """Every image of the tree, labelled by its class folder; the tree checked file by file."""
    import numpy as np

    from .readers import DatasetInvalid

    path = Path(block["path"])
    classes = class_folders(path)
    if not classes:
        raise DatasetInvalid(f"{path / 'train'}: no class folders; expected {path}/train/<class>/<image file>")
    hint = f"It is a file of the dataset in {path}: replace it with a complete copy."
    head = _images(path, "train")[:1]
    try:
        channels = _header_shape(head[0])[0] if head else 3  # the first image's channels are every image's
    except OSError as err:
        raise DatasetInvalid(f"{head[0]} is damaged or not an image ({err}). {hint}") from err
    out = {"classes": classes}
    for split in SPLITS:
        folder = path / split
        if not folder.is_dir():
            raise DatasetInvalid(f"{folder}: not found; expected {folder}/<class>/<image file> for the {split} split")
        images, labels, first = [], [], None
        for file in folder_files(folder):
            relative = file.relative_to(folder)
            if len(relative.parts) != 2:
                raise DatasetInvalid(f"{file}: expected {folder}/<class>/<image file>")
            if relative.parts[0] not in classes:
                raise DatasetInvalid(f"{file}: class {relative.parts[0]!r} has no folder in {path / 'train'} "
                                     f"(its classes: {classes})")
            if file.suffix.lower() not in IMAGE_SUFFIXES:
                raise DatasetInvalid(f"{file}: not an image file (expected {', '.join(IMAGE_SUFFIXES)})")
            image = _decode(file, channels, hint)
            first = first or file
            if images and image.shape != images[0].shape:
                raise DatasetInvalid(f"{file}: an image of shape {list(image.shape)}, but {first} is "
                                     f"{list(images[0].shape)}; expected one size for all images")
            images.append(image)
            labels.append(classes.index(relative.parts[0]))
        stacked = np.stack(images) if images else np.empty((0, channels, 1, 1), np.uint8)
        out[f"{split}_images"], out[f"{split}_labels"] = stacked, np.asarray(labels, dtype=np.int64)
    return out
