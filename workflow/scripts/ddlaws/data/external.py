"""Importing a distilled set made elsewhere into our own distilled-set format.

The ``external_set`` job reads one IPC's source (``ddlaws.plan.external``),
checks it against the dataset before any model trains on it, and writes the
record every later stage reads (``ddlaws.data.distilled``). Every check names
the file and what was expected, because the set was made by another program
and its author has to fix it there: the number of classes, the label range,
the images per class against the declared IPC, the image shape and channels,
NaN or inf, and missing or doubled IPC files. Images arrive in the declared
pixel scale and leave in the dataset's normalised space; soft labels arrive as
probabilities or logits and leave as probabilities.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import torch

from ..atomic import DamagedFile, load_tensors
from ..plan.external import IMAGE_SUFFIXES, expected_sources, folder_files, sources
from .datasets import Split

OWN_KEYS = {"dataset", "method", "images", "labels", "params"}  # a distilled-set file this workflow wrote
PROBABILITY_TOLERANCE = 1e-3


class ExternalSetError(ValueError):
    """An external set that cannot be evaluated; the message names the file and what was expected."""


def replace_hint(name: str, ipc: int) -> str:
    return f"It is a file of external set {name!r} (IPC {ipc}): replace it with a complete copy."


def find_source(name: str, root: str | Path, ipc: int) -> Path:
    """The one source of the set for ``ipc``; none, or more than one, is an error."""
    found = sources(root, ipc)
    if not found:
        expected = ", ".join(str(p) for p in expected_sources(root, ipc))
        raise ExternalSetError(f"external set {name!r}: no set for IPC {ipc} in {root}; expected one of {expected} "
                               f"(or remove {ipc} from external.{name}.ipcs)")
    if len(found) > 1:
        raise ExternalSetError(f"external set {name!r}: {len(found)} sets for IPC {ipc}: "
                               f"{', '.join(str(p) for p in found)}; keep one")
    return found[0]


def _read_npz(path: Path, hint: str) -> dict:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: torch.from_numpy(np.array(archive[key])) for key in archive.files}
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise ExternalSetError(f"{path} holds pickled objects; only numeric arrays are read") from err
        raise DamagedFile(f"{path} cannot be read as .npz ({err}). {hint}") from err
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise DamagedFile(f"{path} is damaged or incomplete and cannot be read as .npz "
                          f"({type(err).__name__}: {err}). {hint}") from err


def _read_safetensors(path: Path, hint: str) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as err:
        raise DamagedFile(f"{path} is damaged or incomplete and cannot be read as .safetensors ({err}). "
                          f"{hint}") from err


def read_image(path: Path, channels: int, hint: str) -> torch.Tensor:
    """One image file as a [C, H, W] uint8 tensor; a gray image saved as RGB counts as gray."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            mode = image.mode
            array = np.array(image.convert("RGB") if mode in ("P", "RGBA") else image)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise DamagedFile(f"{path} is damaged or not an image ({err}). {hint}") from err
    if array.dtype != np.uint8:
        raise ExternalSetError(f"{path}: {mode} images are not read; expected 8-bit gray or RGB")
    pixels = torch.from_numpy(array)
    pixels = pixels.unsqueeze(0) if pixels.dim() == 2 else pixels.permute(2, 0, 1)
    if len(pixels) == 3 and channels == 1:
        if not (torch.equal(pixels[0], pixels[1]) and torch.equal(pixels[0], pixels[2])):
            raise ExternalSetError(f"{path}: a colour image, but the dataset's images have 1 channel")
        pixels = pixels[:1]
    if len(pixels) != channels:
        raise ExternalSetError(f"{path}: {len(pixels)} channel(s), but the dataset's images have {channels}")
    return pixels


def read_image_folder(folder: Path, split: Split, hint: str) -> dict:
    """``folder/<class index>/<image>``: uint8 images and their classes, each class's files in name order."""
    images, labels = [], []
    for path in folder_files(folder):
        relative = path.relative_to(folder)
        if len(relative.parts) != 2 or not relative.parts[0].isdigit():
            raise ExternalSetError(f"{path}: expected {folder}/<class index>/<image file>, class indices "
                                   f"0-{split.num_classes - 1}")
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise ExternalSetError(f"{path}: not an image file (expected {', '.join(IMAGE_SUFFIXES)})")
        images.append(read_image(path, split.image_shape[0], hint))
        labels.append(int(relative.parts[0]))
    if not images:
        raise ExternalSetError(f"{folder}: the folder holds no images")
    shapes = {tuple(image.shape) for image in images}
    if len(shapes) > 1:
        raise ExternalSetError(f"{folder}: images of different sizes {sorted(shapes)}")
    return {"images": torch.stack(images), "labels": torch.tensor(labels)}


def read_source(source: Path, split: Split, hint: str) -> dict:
    """The tensors of one source: ``images``, ``labels``, optionally ``lr`` (and all of a file of ours)."""
    if source.is_dir():
        return read_image_folder(source, split, hint)
    if source.suffix == ".pt":
        content = load_tensors(source, remedy=hint)
        if not isinstance(content, dict):
            raise ExternalSetError(f"{source}: holds a {type(content).__name__}; expected a dict with 'images' "
                                   "and 'labels' tensors")
    elif source.suffix == ".npz":
        content = _read_npz(source, hint)
    else:
        content = _read_safetensors(source, hint)
    missing = {"images", "labels"} - set(content)
    if missing:
        raise ExternalSetError(f"{source}: no {' or '.join(sorted(missing))} in it (it holds "
                               f"{sorted(content)}); expected 'images' [N, C, H, W] and "
                               "'labels'")
    return content


def _to_normalized(images: torch.Tensor, scale: str, split: Split, source: Path) -> torch.Tensor:
    """Images in the declared pixel scale, checked against it, in the dataset's normalised space."""
    low, high = images.min().item(), images.max().item()
    if scale == "normalized":
        return images
    top = 1.0 if scale == "unit" else 255.0
    if low < -1e-6 or high > top * (1 + 1e-6):
        raise ExternalSetError(f"{source}: pixel values span [{low:.3g}, {high:.3g}], outside the declared scale "
                               f"{scale!r} [0, {top:g}]; declare the scale they are in (normalized, unit or byte)")
    if scale == "byte" and high <= 1.0:
        raise ExternalSetError(f"{source}: pixel values span [{low:.3g}, {high:.3g}], which looks like scale 'unit' "
                               "[0, 1], not the declared 'byte' [0, 255]")
    return split.normalize(images.clamp(0, top) / top)


def _labels(labels: torch.Tensor, declared: str, split: Split,
            source: Path) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Hard labels [N], and soft labels as probabilities [N, classes] (None for hard ones)."""
    classes = split.num_classes
    if declared == "hard":
        if labels.dim() != 1:
            raise ExternalSetError(f"{source}: labels have shape {list(labels.shape)}; declared hard labels are "
                                   "class indices [N] (for soft labels declare labels: probabilities or logits)")
        if labels.is_floating_point():
            if not torch.equal(labels, labels.round()):
                raise ExternalSetError(f"{source}: hard labels must be whole class indices")
        return labels.long(), None
    if labels.dim() != 2 or labels.shape[1] != classes:
        raise ExternalSetError(f"{source}: labels have shape {list(labels.shape)}; declared {declared} are "
                               f"[N, {classes}], one column per class of the dataset")
    soft = labels.double()
    if not torch.isfinite(soft).all():
        raise ExternalSetError(f"{source}: the soft labels contain NaN or inf")
    if declared == "logits":
        probabilities = torch.softmax(soft, dim=1)
    else:
        sums = soft.sum(1)
        if (soft < 0).any() or ((sums - 1).abs() > PROBABILITY_TOLERANCE).any():
            raise ExternalSetError(f"{source}: declared probabilities, but rows have negative entries or sums in "
                                   f"[{sums.min().item():.4g}, {sums.max().item():.4g}], not 1 (logits?)")
        probabilities = soft / sums[:, None]
    return probabilities.argmax(1), probabilities.float()


def _check_classes(labels: torch.Tensor, ipc: int, split: Split, source: Path) -> None:
    classes = split.num_classes
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= classes:
        raise ExternalSetError(f"{source}: labels range over [{low}, {high}]; the dataset's classes are "
                               f"0-{classes - 1}")
    counts = torch.bincount(labels, minlength=classes)
    absent = [c for c in range(classes) if counts[c] == 0]
    if absent:
        raise ExternalSetError(f"{source}: no image of class(es) {absent}; the dataset has {classes} classes")
    wrong = {c: int(n) for c, n in enumerate(counts) if n != ipc}
    if wrong:
        raise ExternalSetError(f"{source}: images per class {wrong} (class: count), but the file is the set for "
                               f"IPC {ipc}: expected {ipc} of each class")


def import_external(name: str, block: dict, ipc: int, split: Split, digest: str) -> dict:
    """The distilled-set record of external set ``name`` (its config ``block``) for ``ipc``, checked."""
    hint = replace_hint(name, ipc)
    source = find_source(name, block["path"], ipc)
    content = read_source(source, split, hint)
    own = source.suffix == ".pt" and OWN_KEYS <= set(content)
    if own and content["dataset"] != block["dataset"]:
        raise ExternalSetError(f"{source}: a set distilled from {content['dataset']!r}, but external.{name}.dataset "
                               f"is {block['dataset']!r}")
    scale = "normalized" if own else "byte" if source.is_dir() else block.get("scale")
    if scale is None:
        raise ExternalSetError(f"{source}: declare the pixel scale of its images as external.{name}.scale "
                               "(normalized, unit or byte)")
    if source.is_dir() and block["labels"] != "hard":
        raise ExternalSetError(f"{source}: an image folder carries no soft labels; declare external.{name}.labels: "
                               "hard")
    images = content["images"]
    expected = split.image_shape
    if images.dim() != 4 or tuple(images.shape[1:]) != expected:
        raise ExternalSetError(f"{source}: images have shape {list(images.shape)}; expected [N, {expected[0]}, "
                               f"{expected[1]}, {expected[2]}] (N images, the dataset's channels and size)")
    images = images.float()
    if not torch.isfinite(images).all():
        raise ExternalSetError(f"{source}: the images contain NaN or inf")
    labels = content["labels"]
    if len(labels) != len(images):
        raise ExternalSetError(f"{source}: {len(labels)} labels for {len(images)} images")
    if own and "soft_labels" in content:
        # ours: each image keeps the class it was distilled for, which its learned label may not put first
        soft = _labels(content["soft_labels"], "probabilities", split, source)[1]
        hard = labels.long()
    else:
        hard, soft = _labels(labels, block["labels"], split, source)
    if (soft is None) != (block["labels"] == "hard"):
        raise ExternalSetError(f"{source}: the file's labels are {'hard' if soft is None else 'soft'}, but "
                               f"external.{name}.labels is {block['labels']!r}")
    _check_classes(hard, ipc, split, source)
    lr = content.get("lr")
    if lr is not None:
        lr = torch.as_tensor(lr, dtype=torch.float64)
        if lr.numel() != 1 or not torch.isfinite(lr).all() or lr.item() <= 0:
            raise ExternalSetError(f"{source}: 'lr' must be one positive number (the lr learned for SGD)")
        lr = lr.item()
    order = torch.argsort(hard, stable=True)  # ordered by class, as our own sets are
    record = {
        "dataset": block["dataset"], "method": name, "ipc": int(ipc), "seed": 0,
        "images": _to_normalized(images, scale, split, source)[order].contiguous(),
        "labels": hard[order], "lr": lr,
        "params": {"source": str(source), "scale": scale, "labels": block["labels"], "digest": digest},
        "loss_curve": torch.empty(0), "wall_time": 0.0,
    }
    if soft is not None:
        record["soft_labels"] = soft[order].contiguous()
    return record
