"""External distilled sets: each format reads into our own record, and each bad input is refused by name."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image
from safetensors.torch import save_file

from conftest import ROOT, merged
from ddlaws.atomic import DamagedFile, load_tensors, save_tensors
from ddlaws.data.external import ExternalSetError, import_external
from ddlaws.plan.configs import ConfigError, all_methods, label_regime, soft_label_loss
from ddlaws.plan.external import content_digest
from workflow_runner import TINY, planned_jobs, snakemake, write_config

IPC = 2


def real_images(split, ipc: int = IPC, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``ipc`` training images per class in [0, 1] pixel space (8-bit values), classes interleaved."""
    generator = torch.Generator().manual_seed(seed)
    picks = torch.cat([torch.nonzero(split.y_train == c).flatten()[
        torch.randperm(int((split.y_train == c).sum()), generator=generator)[:ipc]] for c in range(10)])
    picks = picks[torch.randperm(len(picks), generator=generator)]  # not ordered by class
    pixels = (split.denormalize(split.x_train[picks]) * 255).round() / 255
    return pixels, split.y_train[picks]


def write_set(root, fmt: str, images: torch.Tensor, labels: torch.Tensor, ipc: int = IPC, **extra) -> None:
    """One IPC of an external set in format ``fmt``; images in [0, 1] unless the caller scaled them."""
    root.mkdir(parents=True, exist_ok=True)
    if fmt == "pt":
        torch.save({"images": images, "labels": labels, **extra}, root / f"ipc{ipc}.pt")
    elif fmt == "npz":
        np.savez(root / f"ipc{ipc}.npz", images=images.numpy(), labels=labels.numpy(),
                 **{k: np.asarray(v) for k, v in extra.items()})
    elif fmt == "safetensors":
        save_file({"images": images.contiguous(), "labels": labels.contiguous(),
                   **{k: torch.as_tensor(v).reshape(1) for k, v in extra.items()}}, str(root / f"ipc{ipc}.safetensors"))
    else:
        for i, (image, label) in enumerate(zip(images, labels)):
            folder = root / f"ipc{ipc}" / str(int(label))
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray((image[0] * 255).round().byte().numpy()).save(folder / f"{i:03d}.{fmt}")


def block(root, **kwargs) -> dict:
    return {"dataset": "digits", "path": str(root), "ipcs": [IPC], "labels": "hard", **kwargs}


def imported(name, root, split, ipc: int = IPC, **kwargs) -> dict:
    return import_external(name, block(root, **kwargs), ipc, split, content_digest(root, ipc))


@pytest.mark.parametrize("fmt, scale", [("pt", "unit"), ("npz", "unit"), ("safetensors", "unit"), ("npz", "byte"),
                                        ("png", None)])
def test_every_format_reads_into_normalised_images_ordered_by_class(tmp_path, digits, fmt, scale):
    pixels, labels = real_images(digits)
    stored = pixels * 255 if scale == "byte" else pixels
    write_set(tmp_path, fmt, stored, labels)
    record = imported("mine", tmp_path, digits, scale=scale)
    order = torch.argsort(labels, stable=True)
    assert torch.equal(record["labels"], labels[order])
    assert torch.allclose(record["images"], digits.normalize(pixels[order]), atol=1e-5)
    assert record["method"] == "mine" and record["seed"] == 0 and record["lr"] is None
    assert "soft_labels" not in record


def test_our_own_file_needs_no_scale_and_keeps_its_learned_lr(tmp_path, digits):
    pixels, labels = real_images(digits)
    images = digits.normalize(pixels)
    tmp_path.mkdir(exist_ok=True)
    save_tensors({"dataset": "digits", "method": "mtt", "ipc": IPC, "seed": 3, "images": images, "labels": labels,
                  "lr": 0.02, "params": {}, "loss_curve": torch.empty(0), "wall_time": 1.0}, tmp_path / "ipc2.pt")
    record = imported("released", tmp_path, digits)
    assert record["lr"] == pytest.approx(0.02)
    assert torch.allclose(record["images"], images[torch.argsort(labels, stable=True)])


def test_our_own_soft_label_set_keeps_the_classes_its_images_were_distilled_for(tmp_path, digits):
    pixels, labels = real_images(digits)
    soft = torch.eye(10)[labels] * 0.9 + 0.01
    soft[0] = torch.roll(soft[0], 1)  # one learned label that ranks another class first
    save_tensors({"dataset": "digits", "method": "mtt", "ipc": IPC, "seed": 0, "images": digits.normalize(pixels),
                  "labels": labels, "soft_labels": soft, "lr": 0.02, "params": {}, "loss_curve": torch.empty(0),
                  "wall_time": 1.0}, tmp_path / "ipc2.pt")
    record = imported("released", tmp_path, digits, labels="probabilities")
    order = torch.argsort(labels, stable=True)
    assert torch.equal(record["labels"], labels[order])
    assert torch.allclose(record["soft_labels"], soft[order])
    with pytest.raises(ExternalSetError, match=r"labels are soft, but external.released.labels is 'hard'"):
        imported("released", tmp_path, digits)


def test_a_learned_lr_in_an_npz_file_is_kept(tmp_path, digits):
    pixels, labels = real_images(digits)
    write_set(tmp_path, "npz", pixels, labels, lr=0.05)
    assert imported("mine", tmp_path, digits, scale="unit")["lr"] == pytest.approx(0.05)


@pytest.mark.parametrize("declared", ["probabilities", "logits"])
def test_soft_labels_arrive_as_probabilities_and_count_for_their_largest_class(tmp_path, digits, declared):
    pixels, labels = real_images(digits)
    logits = torch.randn(len(labels), 10, generator=torch.Generator().manual_seed(0))
    logits[torch.arange(len(labels)), labels] += 10.0
    soft = torch.softmax(logits, 1)
    write_set(tmp_path, "safetensors", pixels, soft if declared == "probabilities" else logits)
    record = imported("mine", tmp_path, digits, scale="unit", labels=declared)
    order = torch.argsort(labels, stable=True)
    assert torch.equal(record["labels"], labels[order])
    assert torch.allclose(record["soft_labels"], soft[order], atol=1e-5)


def bad(tmp_path, digits, match, fmt="npz", images=None, targets=None, ipc=IPC, **kwargs):
    """Write a set (the real one unless ``images`` or label ``targets`` are given); the import must refuse it."""
    pixels, real = real_images(digits)
    write_set(tmp_path, fmt, pixels if images is None else images, real if targets is None else targets)
    with pytest.raises(ExternalSetError, match=match) as err:
        imported("mine", tmp_path, digits, ipc=ipc, **({"scale": "unit"} | kwargs))
    return str(err.value)


def test_each_check_names_the_file_and_what_was_expected(tmp_path, digits):
    pixels, labels = real_images(digits)
    message = bad(tmp_path / "a", digits, r"labels range over \[0, 10\]; the dataset's classes are 0-9",
                  targets=torch.where(labels == 9, 10, labels))
    assert str(tmp_path / "a" / "ipc2.npz") in message
    bad(tmp_path / "b", digits, r"no image of class\(es\) \[9\]", targets=torch.where(labels == 9, 8, labels))
    bad(tmp_path / "c", digits, r"images per class .*expected 2 of each class", targets=torch.where(
        torch.arange(len(labels)) == int(torch.nonzero(labels == 0)[0]), 1, labels))
    bad(tmp_path / "d", digits, r"images have shape \[20, 3, 8, 8\]; expected \[N, 1, 8, 8\]",
        images=pixels.expand(-1, 3, -1, -1).contiguous())
    bad(tmp_path / "e", digits, r"images have shape \[20, 1, 16, 16\]",
        images=torch.nn.functional.interpolate(pixels, scale_factor=2))
    bad(tmp_path / "f", digits, "NaN or inf", images=torch.where(pixels > 0.9, torch.nan, pixels))
    bad(tmp_path / "g", digits, r"outside the declared scale 'unit'", images=pixels * 255)
    bad(tmp_path / "h", digits, r"looks like scale 'unit'", scale="byte")
    bad(tmp_path / "i", digits, r"declare the pixel scale", scale=None)
    bad(tmp_path / "j", digits, r"labels have shape \[20, 10\]; declared hard", targets=torch.eye(10)[labels])
    bad(tmp_path / "k", digits, r"labels have shape \[20, 7\]; declared probabilities are \[N, 10\]",
        targets=torch.full((20, 7), 1 / 7), labels="probabilities")
    bad(tmp_path / "l", digits, r"declared probabilities, but rows", targets=torch.eye(10)[labels] * 2,
        labels="probabilities")
    bad(tmp_path / "m", digits, r"20 labels for 19 images", images=pixels[:19])
    bad(tmp_path / "n", digits, r"an image folder carries no soft labels", fmt="png", labels="logits")


def test_a_missing_or_doubled_ipc_file_is_refused_by_name(tmp_path, digits):
    pixels, labels = real_images(digits)
    write_set(tmp_path, "npz", pixels, labels)
    with pytest.raises(ExternalSetError, match=r"no set for IPC 5 in .*ipc5.pt, .*ipc5.npz, .*ipc5.safetensors"):
        imported("mine", tmp_path, digits, ipc=5, scale="unit")
    write_set(tmp_path, "pt", pixels, labels)
    with pytest.raises(ExternalSetError, match=r"2 sets for IPC 2: .*ipc2.pt, .*ipc2.npz; keep one"):
        imported("mine", tmp_path, digits, scale="unit")


def test_a_folder_with_a_stray_file_or_a_class_that_is_not_an_index_is_refused(tmp_path, digits):
    pixels, labels = real_images(digits)
    write_set(tmp_path, "png", pixels, labels)
    (tmp_path / "ipc2" / "3" / "notes.txt").write_text("x")
    with pytest.raises(ExternalSetError, match=r"notes.txt: not an image file"):
        imported("mine", tmp_path, digits)
    (tmp_path / "ipc2" / "3" / "notes.txt").unlink()
    (tmp_path / "ipc2" / "3").rename(tmp_path / "ipc2" / "three")
    with pytest.raises(ExternalSetError, match=r"expected .*ipc2/<class index>/<image file>"):
        imported("mine", tmp_path, digits)


@pytest.mark.parametrize("fmt", ["pt", "npz", "safetensors", "png"])
def test_a_damaged_external_file_names_itself_and_says_to_replace_it(tmp_path, digits, fmt):
    pixels, labels = real_images(digits)
    write_set(tmp_path, fmt, pixels, labels)
    path = next(p for p in sorted(tmp_path.rglob("*")) if p.is_file())
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    with pytest.raises(DamagedFile) as err:
        imported("mine", tmp_path, digits, scale="unit")
    assert str(path) in str(err.value)
    assert "file of external set 'mine' (IPC 2): replace it" in str(err.value)


def test_the_content_digest_follows_the_bytes_not_the_time(tmp_path, digits):
    pixels, labels = real_images(digits)
    write_set(tmp_path, "png", pixels, labels)
    before = content_digest(tmp_path, IPC)
    image = next((tmp_path / "ipc2" / "4").iterdir())
    image.write_bytes(image.read_bytes())  # rewritten, same bytes
    assert content_digest(tmp_path, IPC) == before
    write_set(tmp_path, "png", real_images(digits, seed=1)[0], labels)
    assert content_digest(tmp_path, IPC) != before
    assert content_digest(tmp_path, 7) == "missing"


def soft_targets_of(labels: torch.Tensor) -> torch.Tensor:
    """Probabilities that lean on the true class: 0.8 on it, the rest spread evenly."""
    return torch.eye(10)[labels] * 0.8 + 0.02


@pytest.mark.workflow
def test_external_sets_in_every_format_and_with_soft_labels_run_through_the_pipeline(tmp_path, digits):
    """One external set in all four formats and one with soft labels appear in the tables, the laws and
    SUMMARY.md; a bad set fails its own job only; replacing a file re-runs exactly its evaluation."""
    sets = tmp_path / "sets"
    for ipc, fmt in ((1, "pt"), (2, "npz"), (3, "png"), (4, "safetensors")):
        write_set(sets / "mine", fmt, *real_images(digits, ipc, seed=ipc), ipc=ipc)
    for ipc in (1, 2):
        pixels, labels = real_images(digits, ipc, seed=10 + ipc)
        write_set(sets / "soft", "safetensors", pixels, soft_targets_of(labels), ipc=ipc)
    pixels, labels = real_images(digits, 1)
    write_set(sets / "broken", "npz", pixels, torch.where(labels == 9, 10, labels), ipc=1)
    external = {"mine": {"dataset": "digits", "path": str(sets / "mine"), "ipcs": [1, 2, 3, 4], "scale": "unit"},
                "soft": {"dataset": "digits", "path": str(sets / "soft"), "ipcs": [1, 2], "scale": "unit",
                         "labels": "probabilities"}}
    workdir = tmp_path / "run"
    workdir.mkdir()
    config = {**TINY, "device": "cpu", "external": {**external, "broken": {
        "dataset": "digits", "path": str(sets / "broken"), "ipcs": [1], "scale": "unit"}}}
    results = workdir / "results"

    failed = snakemake(workdir, "--keep-going", configfile=write_config(workdir, config), check=False)
    assert failed.returncode != 0
    log = (results / "logs/external_set/digits/broken/ipc1/seed0.log").read_text()
    assert f"{sets / 'broken' / 'ipc1.npz'}: labels range over [0, 10]" in log
    # every other set was imported and evaluated; only what needs the broken set waits
    for method, ipcs in (("random", TINY["ipcs"]), ("mine", [1, 2, 3, 4]), ("soft", [1, 2])):
        for ipc in ipcs:
            assert (results / f"eval/digits/{method}/ipc{ipc}/seed0.csv").exists(), (method, ipc)
    assert not (results / "tables/evaluations.csv").exists()

    config["external"] = external
    configfile = write_config(workdir, config)
    to_summary = ("results/SUMMARY.md",)  # the figures take any set alike
    snakemake(workdir, configfile=configfile, targets=to_summary)
    evaluations = pd.read_csv(results / "tables/evaluations.csv")
    regimes = evaluations.groupby("method")["label_regime"].unique().map(list).to_dict()
    assert regimes == {"mine": ["hard"], "random": ["hard"], "soft": ["soft"]}
    assert sorted(evaluations.loc[evaluations["method"] == "mine", "ipc"].unique()) == [1, 2, 3, 4]
    scaling = pd.read_csv(results / "laws/scaling.csv")
    assert set(scaling["method"]) == {"random", "mine", "soft"}
    assert set(scaling.loc[scaling["method"] == "soft", "label_regime"]) == {"soft"}
    assert set(pd.read_csv(results / "laws/boundary.csv")["method"]) == {"random", "mine", "soft"}
    summary = (results / "SUMMARY.md").read_text()
    assert "## digits · mine\n" in summary and "## digits · soft (soft labels)\n" in summary
    assert (results / "distilled/digits/mine/ipc3/seed0.png").exists()

    write_set(sets / "mine", "npz", *real_images(digits, 2, seed=99), ipc=2)
    jobs = planned_jobs(workdir, configfile, targets=to_summary)
    per_set = sorted((rule, w["method"], w["ipc"]) for rule, w in jobs if rule in ("external_set", "evaluate",
                                                                                    "distill"))
    assert per_set == [("evaluate", "mine", "2"), ("external_set", "mine", "2")]
    assert "tables" in {rule for rule, _ in jobs}

    config["evaluation"] = {**config["evaluation"], "soft_label": {"loss": "kl", "temperature": 2.0}}
    jobs = planned_jobs(workdir, write_config(workdir, config, "kl.yaml"), targets=to_summary)
    evaluated = sorted((w["method"], w["ipc"]) for rule, w in jobs if rule == "evaluate")
    assert evaluated == [("mine", "2"), ("soft", "1"), ("soft", "2")]


@pytest.mark.parametrize("external, match", [
    ({"dm": {"dataset": "digits", "path": "x", "ipcs": [1]}}, r"'external.dm': the name is already a method's"),
    ({"random": {"dataset": "digits", "path": "x", "ipcs": [1]}}, r"'external.random'"),
    ({"dm_pool": {"dataset": "digits", "path": "x", "ipcs": [1]}}, r"'external.dm_pool'"),
    ({"mine": {"dataset": "cifar10", "path": "x", "ipcs": [1]}}, r"'external.mine.dataset': 'cifar10' is not in"),
    ({"mine": {"dataset": "digits", "path": "x"}}, r"'external.mine': 'ipcs' is a required property"),
    ({"mine": {"dataset": "digits", "path": "x", "ipcs": [1], "scale": "pixels"}}, r"'external.mine.scale'"),
    ({"mine": {"dataset": "digits", "path": "x", "ipcs": [1], "labels": "soft"}}, r"'external.mine.labels'"),
])
def test_a_bad_external_block_is_refused_naming_its_key(external, match):
    with pytest.raises(ConfigError, match=match):
        merged({"external": external})


def test_only_soft_sets_get_the_soft_label_loss():
    config = merged({"external": {"hardset": {"dataset": "digits", "path": "x", "ipcs": [1]},
                                  "softset": {"dataset": "digits", "path": "x", "ipcs": [1], "labels": "logits"}},
                     "evaluation": {"soft_label": {"loss": "kl", "temperature": 3}}})
    assert all_methods(config)[-2:] == ["hardset", "softset"]
    assert [label_regime(config, m, "digits", 1) for m in ("dm", "mtt", "hardset", "softset")] == [
        "hard", "hard", "hard", "soft"]
    assert soft_label_loss(config, "hardset", "digits", 1) is None
    assert soft_label_loss(config, "dm", "digits", 1) is None
    assert soft_label_loss(config, "softset", "digits", 1) == {"loss": "kl", "temperature": 3.0}
    learned = merged({"mtt": {"soft_labels": True}})
    assert [label_regime(learned, "mtt", "digits", k) for k in (1, 2)] == ["soft", "soft"]
    assert soft_label_loss(learned, "mtt", "digits", 2) == {"loss": "ce"}
    with pytest.raises(ConfigError, match=r"'mtt.overrides': 'mtt' learns soft labels at some IPCs"):
        merged({"mtt": {"overrides": [{"ipcs": [2], "set": {"soft_labels": True}}]}})


def readme_section() -> str:
    return (ROOT / "README.md").read_text().split("## Evaluating your own distilled sets")[1].split("\n## ")[0]


@pytest.mark.workflow
def test_the_readme_steps_make_a_set_that_imports(tmp_path):
    """Following "Evaluating your own distilled sets": its script writes the sets, its block names them."""
    section = readme_section()
    script = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    external = yaml.safe_load(re.findall(r"```yaml\n(.*?)```", section, re.S)[0])
    workdir = tmp_path / "run"
    workdir.mkdir()
    subprocess.run([sys.executable, "-c", script], cwd=workdir, check=True, timeout=120)
    config = {**TINY, "device": "cpu", **external}
    targets = [f"results/distilled/digits/mysets/ipc{k}/seed0.pt" for k in external["external"]["mysets"]["ipcs"]]
    snakemake(workdir, *targets, "--configfile", str(write_config(workdir, config)))  # targets first
    for target, k in zip(targets, (1, 10)):
        record = load_tensors(workdir / target)
        assert record["method"] == "mysets" and len(record["images"]) == 10 * k
        assert torch.equal(record["labels"], torch.arange(10).repeat_interleave(k))
