"""The Snakefile's helpers are cheap to import: parsing the workflow (on a
cluster's login node, and again in every job) never imports torch, and the
modules it imports pull in none of the numerical stacks either."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import torch
from PIL import Image

from conftest import ROOT, readme_count
from test_plugins import readme_plugin
from workflow_runner import SNAKEMAKE

SCRIPTS = ROOT / "workflow" / "scripts"

# An import hook that makes importing any of these packages raise.
BLOCKER = textwrap.dedent("""
    import sys

    class Refuse:
        BLOCKED = {blocked!r}

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in self.BLOCKED:
                raise ImportError(f"{{name}} must not be imported while the workflow is parsed")

    sys.meta_path.insert(0, Refuse())
""")


def test_the_modules_the_snakefile_imports_need_no_numerical_stack(tmp_path):
    heavy = ["torch", "numpy", "scipy", "pandas", "statsmodels", "seaborn", "matplotlib", "sklearn"]
    # what workflow/rules/common.smk imports, used as the parse step uses it: the
    # README's plug-in loaded, every registered method's work and memory model on
    # the default config and on two datasets of the config
    plugin = tmp_path / "my_method.py"
    plugin.write_text(readme_plugin())
    # and a dataset of each kind of the config, described from its listing and headers
    for split in ("train", "test"):
        for c in range(2):
            (tmp_path / "folder" / split / str(c)).mkdir(parents=True)
            Image.fromarray(np.full((6, 6, 3), c, np.uint8)).save(tmp_path / "folder" / split / str(c) / "a.png")
    torch.save({"train_images": torch.zeros(4, 2, 5, 5), "test_images": torch.zeros(3, 2, 5, 5),
                "train_labels": torch.zeros(4), "test_labels": torch.zeros(3)}, tmp_path / "t.pt")
    custom = {"f": {"kind": "folder", "path": str(tmp_path / "folder")},
              "t": {"kind": "tensors", "path": str(tmp_path / "t.pt"), "scale": "unit", "classes": 2}}
    code = BLOCKER.format(blocked=heavy) + textwrap.dedent(f"""
        sys.path.insert(0, {str(SCRIPTS)!r})
        import yaml
        from ddlaws.data import custom
        from ddlaws.methods import METHODS
        from ddlaws.plan import configs, external, job_resources, model_store, plugins, provenance

        plugins.load_plugins([{str(plugin)!r}])
        config = yaml.safe_load(open({str(ROOT / "config.yaml")!r}))
        config.update(datasets=["digits", "f", "t"], custom_datasets={custom!r})
        config = configs.validate(config, {str(ROOT / "workflow" / "schemas" / "config.schema.yaml")!r})
        for name in METHODS:
            for dataset in config["datasets"]:
                params = configs.method_params(config, name, dataset, 2)
                job_resources.job_work(name, config, dataset, params, 2)
                job_resources.mem_mb(name, config, dataset, params, 2)
        assert [custom.dataset_of(config, d).shape({{}}) for d in "ft"] == [(3, 6, 6), (2, 5, 5)]
        assert [custom.dataset_of(config, d).sizes({{}}) for d in "ft"] == [(2, 2), (4, 3)]
        assert all(len(custom.content_digest(config, d)) == 16 for d in "ft")
        provenance.stage_code_digest({str(SCRIPTS)!r}, "distill.py", ("ddlaws.methods.mtt",))
        provenance.stage_code_digest({str(SCRIPTS)!r}, "distill.py", (), (METHODS["my_method"].plugin_file,))
        external.content_digest({str(ROOT / "workflow")!r}, 1)
        model_store.stored_models([({str(tmp_path)!r}, {{}})], configs.evaluation_family(config), 2)
        print(sorted(METHODS))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["['dm',", "'gm',", "'mtt',", "'my_method',", "'random']"]


def test_a_dry_run_of_the_default_config_never_imports_torch(tmp_path):
    """The whole parse step, resources included, with torch refused (Snakemake
    itself imports pandas, so only what ddlaws could add is refused here)."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(BLOCKER.format(blocked=["torch", "statsmodels", "seaborn"]))
    # this checkout's package, not whichever is installed
    env = {"PYTHONPATH": os.pathsep.join([str(hook), str(SCRIPTS)]), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run([*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "--cores", "1",
                           "--dry-run"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "distill" in proc.stdout and "This was a dry-run" in proc.stdout
    # the job count the README gives for `make run`
    assert readme_count(r"; (\d+) jobs: 5 methods") == int(re.search(r"^total\s+(\d+)$", proc.stdout,
                                                                                     re.M).group(1))
    # the hook was active: importing torch under it fails
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True, text=True, env=env)
    assert probe.returncode != 0 and "must not be imported" in probe.stderr
