"""Plug-ins: a module outside the package, listed in ``plugins``, registers a method that runs
through the workflow as ours do, and re-runs alone when edited; or a dataset, which downloads as ours."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import ROOT, merged
from ddlaws.atomic import load_tensors
from ddlaws.data.catalog import DATASETS
from ddlaws.methods import METHODS
from ddlaws.plan import plugins
from ddlaws.plan.configs import ConfigError
from workflow_runner import TINY, planned_jobs, snakemake, write_config


def readme_plugin() -> str:
    """The plug-in of the README's "Plugging in a method"."""
    section = (ROOT / "README.md").read_text().split("## Plugging in a method")[1].split("\n## ")[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)[0]


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    """Plug-ins register in this process's registries; each test leaves them as it found them."""
    monkeypatch.setattr(plugins, "_LOADED", set())
    saved = [dict(METHODS), dict(DATASETS)]
    yield
    for registry, entries in zip((METHODS, DATASETS), saved):
        registry.clear()
        registry.update(entries)


# A plug-in dataset: scikit-learn's digits mirrored left to right, with the digits' split options.
DATASET_PLUGIN = '''"""My lab's dataset: scikit-learn's digits, mirrored left to right."""

from ddlaws.data.catalog import digits
from ddlaws.data.registry import dataset


@dataset("mirrored_digits", classes=10, shape=(1, 8, 8), sizes=digits.sizes, schema=digits.SCHEMA,
         source="scikit-learn load_digits, mirrored", how_to_supply="it ships with scikit-learn")
def read(root, block, scratch):
    arrays = digits.read(root, block, scratch)
    return {**arrays, **{key: arrays[key][..., ::-1].copy() for key in ("train_images", "test_images")}}
'''


def test_a_plugin_module_on_the_import_path_loads_once_and_brings_its_config_block(tmp_path, monkeypatch):
    (tmp_path / "lab_noise_plugin.py").write_text(readme_plugin())
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.load_plugins(["lab_noise_plugin"])
    plugins.load_plugins(["lab_noise_plugin"])  # the Snakefile and a job may both load the list
    assert METHODS["my_method"].plugin_file == str(tmp_path / "lab_noise_plugin.py")
    config = merged({"plugins": ["lab_noise_plugin"], "methods": ["random", "my_method"]})
    assert config["my_method"] == {"noise": 0.1}
    with pytest.raises(ConfigError, match=r"'my_method.noise'"):
        merged({"methods": ["my_method"], "my_method": {"noise": -1}})


def test_a_plugin_file_loads_relative_to_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "my_method.py").write_text(readme_plugin())
    monkeypatch.chdir(tmp_path)
    plugins.load_plugins(["my_method.py"])
    plugins.load_plugins([str(tmp_path / "my_method.py")])
    assert METHODS["my_method"].plugin_file == str(tmp_path / "my_method.py")


BAD = {
    "missing file": ("absent.py", None, r"no such file .*absent\.py"),
    "import error": ("broken.py", "import ddlaws_no_such_module\n", r"importing it failed: ModuleNotFoundError"),
    "unknown module": ("ddlaws_no_such_plugin", None, r"importing it failed: ModuleNotFoundError"),
    "name of a built-in": ("clash.py", "from ddlaws.methods.registry import method\n\n\n"
                           "@method('random', work=None, batch=None)\ndef distill(*args):\n    pass\n",
                           r"importing it failed: ValueError: method 'random' is registered twice"),
    "registers nothing": ("empty.py", '"""No method here."""\n', r"it registers no method or dataset"),
    "dataset of a built-in name": ("clash.py", DATASET_PLUGIN.replace('"mirrored_digits"', '"mnist"'),
                                   r"importing it failed: ValueError: dataset 'mnist' is registered twice"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_plugin_entry_is_a_config_error_naming_its_index_and_cause(tmp_path, monkeypatch, case):
    entry, text, cause = BAD[case]
    (tmp_path / "my_method.py").write_text(readme_plugin())
    if text is not None:
        (tmp_path / entry).write_text(text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=rf"config key 'plugins\.1' \('{entry}'\): {cause}"):
        plugins.load_plugins(["my_method.py", entry])


def test_a_plugin_that_fails_half_way_leaves_nothing_registered(tmp_path, monkeypatch):
    (tmp_path / "half.py").write_text(readme_plugin() + "\nraise RuntimeError('after registering')\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"'plugins\.0' .*RuntimeError: after registering"):
        plugins.load_plugins(["half.py"])
    assert "my_method" not in METHODS
    (tmp_path / "half.py").write_text(readme_plugin())  # fixed, it loads in the same process
    plugins.load_plugins(["half.py"])
    assert "my_method" in METHODS


def test_a_plugin_config_block_may_not_take_a_config_key(tmp_path, monkeypatch):
    (tmp_path / "seeds.py").write_text(readme_plugin().replace('"my_method"', '"seeds"'))
    monkeypatch.chdir(tmp_path)
    plugins.load_plugins(["seeds.py"])
    with pytest.raises(ConfigError, match=r"config key 'seeds': method 'seeds' .* is a config key already"):
        merged({"methods": ["random"]})


@pytest.mark.workflow
def test_a_bad_plugin_stops_the_workflow_before_any_job(tmp_path):
    config = write_config(tmp_path, {**TINY, "plugins": ["absent.py"]})
    proc = snakemake(tmp_path, "--dry-run", configfile=config, check=False)
    assert proc.returncode != 0
    assert "config key 'plugins.0' ('absent.py'): no such file" in proc.stdout + proc.stderr


@pytest.mark.workflow
def test_the_readme_plugin_runs_through_the_workflow_and_its_edit_reruns_only_its_jobs(tmp_path):
    plugin = tmp_path / "my_method.py"
    plugin.write_text(readme_plugin())
    config = {**TINY, "methods": ["random", "my_method"], "ipcs": [1, 2], "plugins": ["my_method.py"], "device": "cpu",
              "my_method": {"noise": 0.2}}
    configfile = write_config(tmp_path, config)
    summary = ("results/SUMMARY.md",)  # the figures take any method alike
    snakemake(tmp_path, configfile=configfile, targets=summary)

    results = tmp_path / "results"
    evaluations = pd.read_csv(results / "tables/evaluations.csv")
    assert (evaluations["method"] == "my_method").sum() == len(config["ipcs"]) * 2 * 2  # ipcs x configs x eval seeds
    assert set(pd.read_csv(results / "laws/scaling.csv")["method"]) == {"random", "my_method"}
    assert "my_method" in (results / "SUMMARY.md").read_text()
    assert load_tensors(results / "distilled/digits/my_method/ipc2/seed0.pt")["params"]["noise"] == 0.2

    # another plug-in in the list changes no job's code
    (tmp_path / "other.py").write_text(readme_plugin().replace('"my_method"', '"other_method"'))
    more = write_config(tmp_path, {**config, "plugins": ["my_method.py", "other.py"]}, "more.yaml")
    assert planned_jobs(tmp_path, more, targets=summary) == []

    # an edit of the plug-in re-runs its distillations and what depends on them, nothing of random's
    plugin.write_text(plugin.read_text() + "# an edit\n")
    jobs = planned_jobs(tmp_path, configfile, targets=summary)
    distilled = sorted(int(w["ipc"]) for rule, w in jobs if rule == "distill" and w["method"] == "my_method")
    assert distilled == config["ipcs"]
    assert not [w for rule, w in jobs if w.get("method") == "random"]
    rules = {rule for rule, _ in jobs}
    assert {"distill", "evaluate", "tables", "scaling_law"} <= rules
    assert not rules & {"download", "reference", "expert"}


def test_a_plugin_dataset_registers_with_its_config_block(tmp_path, monkeypatch):
    (tmp_path / "my_dataset.py").write_text(DATASET_PLUGIN)
    monkeypatch.chdir(tmp_path)
    plugins.load_plugins(["my_dataset.py"])
    assert DATASETS["mirrored_digits"].plugin_file == str(tmp_path / "my_dataset.py")
    config = merged({"plugins": ["my_dataset.py"], "datasets": ["digits", "mirrored_digits"]})
    assert config["data"]["mirrored_digits"] == {"test_fraction": 0.3, "split_seed": 0}
    with pytest.raises(ConfigError, match=r"'data.mirrored_digits.split_seed'"):
        merged({"datasets": ["mirrored_digits"], "data": {"mirrored_digits": {"split_seed": -1}}})


def test_a_plugin_dataset_block_may_not_take_a_data_key(tmp_path, monkeypatch):
    (tmp_path / "local.py").write_text(DATASET_PLUGIN.replace('"mirrored_digits"', '"local"'))
    monkeypatch.chdir(tmp_path)
    plugins.load_plugins(["local.py"])
    with pytest.raises(ConfigError, match=r"config key 'data.local': dataset 'local' .* is a config key already"):
        merged({"methods": ["random"]})


@pytest.mark.workflow
def test_a_plugin_dataset_plans_and_downloads_and_its_edit_reruns_its_download(tmp_path):
    (tmp_path / "my_dataset.py").write_text(DATASET_PLUGIN)
    config = write_config(tmp_path, {**TINY, "datasets": ["mirrored_digits"], "plugins": ["my_dataset.py"],
                                     "device": "cpu"})
    planned = planned_jobs(tmp_path, config, targets=("results/SUMMARY.md",))
    assert ("download", {"dataset": "mirrored_digits"}) in planned
    assert {w["dataset"] for rule, w in planned if rule == "distill"} == {"mirrored_digits"}
    target = ("results/data/mirrored_digits.pt",)
    snakemake(tmp_path, configfile=config, targets=target)
    record = load_tensors(tmp_path / target[0])
    assert record["source"] == "scikit-learn load_digits, mirrored" and len(record["train_images"]) == 1257
    (tmp_path / "my_dataset.py").write_text(DATASET_PLUGIN + "# an edit\n")
    assert planned_jobs(tmp_path, config, targets=target) == [("download", {"dataset": "mirrored_digits"})]
