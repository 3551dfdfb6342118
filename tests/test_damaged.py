"""A damaged result file fails with its path and the way to make it again; a damaged checkpoint is set aside."""

import pytest
import torch

from ddlaws.atomic import DamagedFile, load_tensors, save_tensors
from ddlaws.data.catalog import DATASETS
from ddlaws.data.datasets import build_dataset, load_split
from ddlaws.methods import get_method
from ddlaws.methods.common import Checkpointer
from ddlaws.train.experts import ExpertBank
from test_gm_dm import dm_params


def cut(path, size=1000):
    data = path.read_bytes()
    assert len(data) > size
    path.write_bytes(data[:size])


def expect_damaged(path, load):
    with pytest.raises(DamagedFile) as err:
        load(path)
    assert str(path) in str(err.value) and f"snakemake --forcerun {path}" in str(err.value)


def test_a_cut_data_file_names_itself(tmp_path):
    path = tmp_path / "digits.pt"
    save_tensors(build_dataset(DATASETS["digits"], {"test_fraction": 0.3, "split_seed": 0}), path)
    cut(path)
    expect_damaged(path, load_split)


@pytest.mark.parametrize("damage", ["cut", "garbage", "empty"])
def test_a_damaged_distilled_set_names_itself(tmp_path, damage):
    path = tmp_path / "seed0.pt"
    save_tensors({"images": torch.randn(100, 1, 8, 8), "labels": torch.arange(100) % 10}, path)
    if damage == "cut":
        cut(path)
    else:
        path.write_bytes(b"" if damage == "empty" else b"not a tensor file at all" * 100)
    expect_damaged(path, load_tensors)


def test_a_cut_expert_names_itself(tmp_path):
    path = tmp_path / "expert0.pt"
    save_tensors({"trajectory": torch.randn(5, 2000), "num_params": 2000, "training": {}}, path)
    cut(path)
    expect_damaged(path, lambda p: ExpertBank([p]))


def test_a_missing_file_stays_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_tensors(tmp_path / "absent.pt")


@pytest.mark.parametrize("content", [b"garbage" * 50, None])
def test_a_damaged_checkpoint_is_set_aside_and_the_run_starts_over(digits, tmp_path, caplog, content):
    params = dm_params(iterations=8)
    whole = get_method("dm")(digits, 2, 0, params)
    path = tmp_path / "ck.pt"
    if content is None:  # a readable tensor file that is no checkpoint
        save_tensors({"images": torch.zeros(3)}, path)
    else:
        path.write_bytes(content)
    checkpointer = Checkpointer.for_run(path, 5, hyper=params)
    with caplog.at_level("WARNING"):
        again = get_method("dm")(digits, 2, 0, params, checkpointer)
    assert torch.equal(whole["images"], again["images"])
    assert (tmp_path / "ck.pt.damaged").exists() and "set aside" in caplog.text
    assert "starting from iteration 0" in caplog.text


CHILD = """
import sys, torch
sys.path.insert(0, sys.argv[1])
from ddlaws.atomic import save_tensors
from ddlaws.data.catalog import DATASETS
from ddlaws.data.datasets import build_dataset, load_split
from ddlaws.methods import get_method
from ddlaws.methods.common import Checkpointer
from test_damaged import sigterm_params
torch.set_num_threads(1)
save_tensors(build_dataset(DATASETS["digits"], {"test_fraction": 0.3, "split_seed": 0}), sys.argv[2] + "/digits.pt")
split = load_split(sys.argv[2] + "/digits.pt")
params = sigterm_params()
import contextlib
import ddlaws.methods.common as common
plain_stop_signal = common.stop_signal


@contextlib.contextmanager
def announced():  # tell the parent once the SIGTERM handler is in place, however slow the machine
    with plain_stop_signal() as stopping:
        print("ready", flush=True)
        yield stopping


common.stop_signal = announced
get_method("dm")(split, 1, 0, params, Checkpointer.for_run(sys.argv[2] + "/ck.pt", 10 ** 6, hyper=params))
"""


def sigterm_params():
    return dm_params(iterations=400, batch_real=16)


def test_sigterm_writes_the_checkpoint_and_the_job_resumes_exactly(digits, tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(Path(__file__).parent), str(tmp_path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    time.sleep(0.5)  # into the 400 iterations, none of them a periodic checkpoint (every 10**6)
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 143, stderr[-2000:]
    assert "SIGTERM after iteration" in stderr
    state = load_tensors(tmp_path / "ck.pt")
    assert 0 <= int(state["iteration"]) < 399
    params = sigterm_params()
    resumed = get_method("dm")(digits, 1, 0, params, Checkpointer.for_run(tmp_path / "ck.pt", 10 ** 6, hyper=params))
    whole = get_method("dm")(digits, 1, 0, params)
    assert torch.equal(resumed["images"], whole["images"])
