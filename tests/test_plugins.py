"""Plug-in methods: a module outside the package, listed in ``plugins``, registers a
method that runs through the workflow as ours do, and re-runs alone when edited."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import ROOT, merged
from ddlaws.atomic import load_tensors
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
    """Plug-ins register in this process's registry; each test leaves it as it found it."""
    monkeypatch.setattr(plugins, "_LOADED", set())
    saved = dict(METHODS)
    yield
    METHODS.clear()
    METHODS.update(saved)


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
    "registers nothing": ("empty.py", '"""No method here."""\n', r"it registers no method"),
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
    config = {**TINY, "methods": ["random", "my_method"], "plugins": ["my_method.py"], "device": "cpu",
              "my_method": {"noise": 0.2}}
    configfile = write_config(tmp_path, config)
    summary = ("results/SUMMARY.md",)  # the figures take any method alike
    snakemake(tmp_path, configfile=configfile, targets=summary)

    results = tmp_path / "results"
    evaluations = pd.read_csv(results / "tables/evaluations.csv")
    assert (evaluations["method"] == "my_method").sum() == len(TINY["ipcs"]) * 2 * 2  # ipcs x configs x eval seeds
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
    assert sorted(int(w["ipc"]) for rule, w in jobs if rule == "distill" and w["method"] == "my_method") == TINY["ipcs"]
    assert not [w for rule, w in jobs if w.get("method") == "random"]
    rules = {rule for rule, _ in jobs}
    assert {"distill", "evaluate", "tables", "scaling_law"} <= rules
    assert not rules & {"download", "reference", "expert"}
