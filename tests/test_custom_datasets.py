"""Datasets of the config (``custom_datasets``): a folder of images and a tensors file read, checked
(each bad input refused by file and expectation), hashed into a param, and run through the pipeline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image
from safetensors.numpy import save_file
from sklearn.datasets import load_digits

from conftest import ROOT, merged
from ddlaws.atomic import load_tensors
from ddlaws.data.custom import content_digest, dataset_of
from ddlaws.data.datasets import DatasetInvalid, build_dataset
from ddlaws.data.tensor_dataset import array_shapes
from ddlaws.plan.configs import ConfigError
from workflow_runner import TINY, planned_jobs, snakemake, write_config


def readme_section() -> str:
    return (ROOT / "README.md").read_text().split("## Bringing your own dataset")[1].split("\n## ")[0]


def write_readme_dataset(workdir: Path) -> dict:
    """Runs the README's script in ``workdir``: the folder dataset and its config."""
    script = re.findall(r"```python\n(.*?)```", readme_section(), re.S)[0]
    subprocess.run([sys.executable, "-c", script], cwd=workdir, check=True, timeout=120)
    return yaml.safe_load((workdir / "mydigits.yaml").read_text())


def digits_arrays(fraction: float = 0.3) -> dict:
    """Digits in [0, 1], every third image of each class held out (no image in both splits)."""
    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None]
    test = np.arange(len(images)) % 3 == 0
    return {"train_images": images[~test], "train_labels": bunch.target[~test],
            "test_images": images[test], "test_labels": bunch.target[test]}


def write_tensors(path: Path, arrays: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".npz":
        np.savez(path, **arrays)
    elif path.suffix == ".safetensors":
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(path))
    else:
        torch.save({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}, path)
    return path


def tensors_block(path: Path, **extra) -> dict:
    return {"kind": "tensors", "path": str(path), "scale": "unit", "classes": 10, **extra}


def built(name: str, block: dict) -> dict:
    config = {"custom_datasets": {name: block}}
    return build_dataset(dataset_of(config, name), {**block, "digest": content_digest(config, name)})


# ----------------------------------------------------------------------------- reading

def test_the_readme_folder_reads_with_its_folder_names_as_classes(tmp_path, monkeypatch):
    config = write_readme_dataset(tmp_path)
    monkeypatch.chdir(tmp_path)
    block = config["custom_datasets"]["mydigits"]
    dataset = dataset_of(config, "mydigits")
    assert dataset.classes == 10 and dataset.shape({}) == (1, 8, 8) and sum(dataset.sizes({})) == 1797
    record = built("mydigits", block)
    assert record["classes"] == [f"digit{c}" for c in range(10)]
    assert record["train_images"].dtype == torch.uint8 and record["train_images"].shape[1:] == (1, 8, 8)
    assert sorted(torch.bincount(record["test_labels"]).tolist()) == sorted(
        np.bincount(load_digits().target) - (0.7 * np.bincount(load_digits().target)).astype(int))
    declared = built("mydigits", {**block, "mean": [0.5], "std": [0.25]})
    assert declared["mean"].tolist() == [0.5] and declared["std"].tolist() == [0.25]


def test_a_gray_image_in_a_colour_folder_is_read_as_rgb(tmp_path):
    colours = np.random.default_rng(0).integers(0, 256, (4, 5, 5, 3), dtype=np.uint8)
    for i, split in enumerate(["train", "train", "test", "test"]):
        folder = tmp_path / split / f"c{i % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(colours[i]).convert("L" if i == 1 else "RGB").save(folder / f"{i}.png")
    record = built("mine", {"kind": "folder", "path": str(tmp_path)})
    assert record["train_images"].shape == (2, 3, 5, 5)
    gray = np.asarray(Image.fromarray(colours[1]).convert("L"))
    assert all(np.array_equal(record["train_images"][1, c].numpy(), gray) for c in range(3))


@pytest.mark.parametrize("suffix", [".npz", ".pt", ".safetensors"])
@pytest.mark.parametrize("scale", ["unit", "byte"])
def test_a_tensors_file_reads_in_every_format_and_its_header_gives_the_shapes(tmp_path, suffix, scale):
    arrays = digits_arrays()
    if scale == "byte":
        arrays = {**arrays, "train_images": np.uint8(np.rint(arrays["train_images"] * 255)),
                  "test_images": np.uint8(np.rint(arrays["test_images"] * 255))}
    path = write_tensors(tmp_path / f"digits{suffix}", arrays)
    assert array_shapes(path)["train_images"] == arrays["train_images"].shape
    block = tensors_block(path, scale=scale, classes=[f"c{i}" for i in range(10)])
    dataset = dataset_of({"custom_datasets": {"mine": block}}, "mine")
    assert dataset.shape({}) == (1, 8, 8) and dataset.sizes({}) == (1198, 599) and dataset.classes == 10
    record = built("mine", block)
    assert record["classes"][0] == "c0"
    assert record["train_images"].dtype == (torch.uint8 if scale == "byte" else torch.float32)
    unit = record["train_images"].double() / (255 if scale == "byte" else 1)
    assert torch.allclose(unit, torch.from_numpy(digits_arrays()["train_images"]).double(), atol=0.5 / 255)
    assert record["mean"].item() == pytest.approx(unit.mean().item(), abs=1e-6)


# ----------------------------------------------------------------------------- checks

def _edit(arrays: dict, key: str, change) -> dict:
    value = arrays[key].copy()
    change(value)
    return {**arrays, key: value}


def _set(index, value):
    def change(array):
        array[index] = value
    return change


BAD_TENSORS = {
    "NaN": (lambda a: _edit(a, "train_images", _set((3, 0, 0, 0), np.nan)), {}, r"train_images contain NaN or inf"),
    "label range": (lambda a: _edit(a, "test_labels", _set(0, 12)), {},
                    r"mine test: labels range over \[0, 12\], expected class indices 0-9"),
    "class count": (lambda a: _edit(a, "train_labels", lambda y: np.place(y, y == 9, 8)), {},
                    r"mine train: classes \[9\] have no image \(expected every one of the 10 classes\)"),
    "declared classes": (lambda a: a, {"classes": 12}, r"mine train: classes \[10, 11\] have no image"),
    "image shape": (lambda a: {**a, "test_images": np.repeat(a["test_images"], 3, axis=1)}, {},
                    r"mine test: images have shape \[599, 3, 8, 8\], expected \[N, 1, 8, 8\]"),
    "not 4-d": (lambda a: {**a, "train_images": a["train_images"][:, 0]}, {},
                r"train_images have shape \[1198, 8, 8\]; expected \[N, C, H, W\]"),
    "shared images": (lambda a: _edit(a, "test_images", lambda x: x.__setitem__(slice(0, 5), a["train_images"][:5])),
                      {}, r"mine: 5 test image\(s\) are also training images .*expected a test split disjoint"),
    "scale": (lambda a: {**a, "train_images": a["train_images"] * 255}, {},
              r"train_images span \[0, 255\], outside the declared scale 'unit' \[0, 1\]"),
    "byte looks unit": (lambda a: a, {"scale": "byte"}, r"looks like scale 'unit' \[0, 1\], not the declared 'byte'"),
    "missing array": (lambda a: {k: v for k, v in a.items() if k != "test_labels"}, {},
                      r"no test_labels in it \(it holds"),
}


@pytest.mark.parametrize("case", BAD_TENSORS)
def test_a_bad_tensors_file_is_refused_naming_the_file_and_what_was_expected(tmp_path, case):
    edit, declared, message = BAD_TENSORS[case]
    path = write_tensors(tmp_path / "mine.npz", edit(digits_arrays()))
    with pytest.raises(DatasetInvalid, match=rf"{re.escape(str(path))}: .*{message}"):
        built("mine", tensors_block(path, **declared))


def _png(path: Path, side: int = 8) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((side, side), 9, np.uint8)).save(path)


BAD_FOLDERS = {
    "stray file": (lambda root: (root / "train/digit3/notes.txt").write_text("x"), "notes.txt: not an image file"),
    "unknown test class": (lambda root: _png(root / "test/digit11/a.png"),
                           r"a.png: class 'digit11' has no folder in .*train"),
    "image size": (lambda root: _png(root / "test/digit2/big.png", 9),
                   r"big.png: an image of shape \[1, 9, 9\], but .* is \[1, 8, 8\]; expected one size"),
    "damaged image": (lambda root: (root / "train/digit0/0.png").write_bytes(b"\x89PNG cut"), r"0.png is damaged"),
}


@pytest.fixture(scope="module")
def readme_folder(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("readme")
    write_readme_dataset(workdir)
    return workdir / "mydigits"


@pytest.mark.parametrize("case", BAD_FOLDERS)
def test_a_bad_folder_is_refused_naming_the_file(tmp_path, readme_folder, case):
    import shutil

    root = tmp_path / "mydigits"
    shutil.copytree(readme_folder, root)
    damage, message = BAD_FOLDERS[case]
    damage(root)
    with pytest.raises(DatasetInvalid, match=message):
        built("mine", {"kind": "folder", "path": str(root)})


BAD_CONFIG = {
    "unknown kind": ({"kind": "zip"}, r"'custom_datasets.mine.kind': 'zip' is not one of \['folder', 'tensors'\]"),
    "no path": ({"path": None}, r"'custom_datasets.mine': 'path' is a required property"),
    "path not found": ({"path": "absent.npz"}, r"'custom_datasets.mine.path': 'absent.npz' does not exist"),
    "no scale": ({"scale": None}, r"'custom_datasets.mine': 'scale' is a required property"),
    "not a tensors file": ({"path": "data.csv"}, r"'custom_datasets.mine.path': 'data.csv' is not a .npz, .pt"),
    "a registered name": ({"name": "mnist"}, r"'custom_datasets.mnist': 'mnist' is a registered dataset's name"),
    "folder with a scale": ({"kind": "folder", "path": ".", "classes": None},
                            r"'custom_datasets.mine.scale': does not apply to kind"),
    "mean without std": ({"mean": [0.5]}, r"'custom_datasets.mine': 'std' is a dependency of 'mean'"),
    "mean per channel": ({"mean": [0.5, 0.5], "std": [1, 1]},
                         r"'custom_datasets.mine.mean': 2 value\(s\), but the images of 'mine.npz' have 1 channel"),
    "not in datasets": ({"dataset": "other"}, r"'datasets.0': 'other' is not one of"),
}


@pytest.mark.parametrize("case", BAD_CONFIG)
def test_a_bad_declaration_is_a_config_error_naming_its_key(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    write_tensors(tmp_path / "mine.npz", digits_arrays())
    (tmp_path / "data.csv").write_text("x")
    changes = dict(BAD_CONFIG[case][0])
    name, dataset = changes.pop("name", "mine"), changes.pop("dataset", None)
    block = {k: v for k, v in {**tensors_block(Path("mine.npz")), **changes}.items() if v is not None}
    with pytest.raises(ConfigError, match=BAD_CONFIG[case][1]):
        merged({"datasets": [dataset or name], "custom_datasets": {name: block}})


def test_the_digest_follows_the_content_not_the_modification_time(tmp_path):
    path = write_tensors(tmp_path / "mine.npz", digits_arrays())
    config = {"custom_datasets": {"mine": tensors_block(path)}}
    before = content_digest(config, "mine")
    os.utime(path, ns=(1, 1))
    assert content_digest(config, "mine") == before
    write_tensors(path, _edit(digits_arrays(), "train_labels", _set(0, 3)))
    assert content_digest(config, "mine") != before


# ----------------------------------------------------------------------------- the workflow

@pytest.mark.workflow
def test_the_readme_folder_and_a_tensors_file_run_through_the_pipeline_into_the_summary(tmp_path):
    """One run for both kinds (each dataset costs a pipeline's worth of jobs); then moved files re-run
    nothing, a replaced file exactly its dataset's jobs, and a bad dataset fails its own download job only."""
    readme = write_readme_dataset(tmp_path)
    write_tensors(tmp_path / "own/digits.npz", digits_arrays())
    custom = {**readme["custom_datasets"], "mytensors": tensors_block(Path("own/digits.npz"))}
    # two k: enough for a law per dataset, and a third of the jobs fewer
    config = {**TINY, "device": "cpu", "ipcs": [1, 2], "datasets": ["mydigits", "mytensors"],
              "custom_datasets": custom}
    configfile = write_config(tmp_path, config)
    summary = ("results/SUMMARY.md",)
    snakemake(tmp_path, configfile=configfile, targets=summary)

    results = tmp_path / "results"
    assert set(pd.read_csv(results / "laws/scaling.csv")["dataset"]) == {"mydigits", "mytensors"}
    text = (results / "SUMMARY.md").read_text()
    assert "mydigits" in text and "mytensors" in text
    assert load_tensors(results / "data/mydigits.pt")["classes"][0] == "digit0"
    gaps = pd.read_csv(results / "tables/gaps.csv")
    assert (gaps["classes"] == 10).all()  # what chance is for a dataset of the config, which the catalog lacks

    # the same files elsewhere re-run nothing
    (tmp_path / "own").rename(tmp_path / "moved")
    moved = {**custom, "mytensors": tensors_block(Path("moved/digits.npz"))}
    assert planned_jobs(tmp_path, write_config(tmp_path, {**config, "custom_datasets": moved}, "moved.yaml"),
                        targets=summary) == []
    (tmp_path / "moved").rename(tmp_path / "own")

    # replacing a file re-runs its dataset's jobs, nothing of the other's
    write_tensors(tmp_path / "own/digits.npz", _edit(digits_arrays(), "train_images", _set((0, 0, 0, 0), 0.5)))
    jobs = planned_jobs(tmp_path, configfile, targets=summary)
    assert ("download", {"dataset": "mytensors"}) in jobs
    assert not [w for _, w in jobs if w.get("dataset") == "mydigits"]

    # a bad dataset fails its own download job only
    write_tensors(tmp_path / "own/digits.npz", _edit(digits_arrays(), "test_labels", _set(0, 12)))
    downloads = ("results/data/mydigits.pt", "results/data/mytensors.pt")
    proc = snakemake(tmp_path, "--keep-going", "--forcerun", "download", configfile=configfile, targets=downloads,
                     check=False)
    assert proc.returncode != 0
    log = (results / "logs/download/mytensors.log").read_text()
    assert "own/digits.npz: mytensors test: labels range over [0, 12]" in log
    assert "Finished job" in proc.stdout + proc.stderr and (results / "data/mydigits.pt").exists()
