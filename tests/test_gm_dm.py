"""Gradient matching and distribution matching on digits, with small budgets:
their losses fall, they beat random selection, the batched per-class gradients
equal the loop's, a run resumes exactly from its checkpoint, and NaNs stop it."""

import pytest
import torch

from ddlaws.methods import dm as dm_module
from ddlaws.methods import get_method
from ddlaws.methods.common import Checkpointer, Diverged, optimize, synthetic_init
from ddlaws.methods.gm import class_gradients, loops_for, matching_distance
from ddlaws.nn.models import init_model
from ddlaws.plan.configs import evaluation_family
from ddlaws.train.stacked import Run, train_runs
from conftest import merged

DSA = {"type": "dsa", "strategy": "crop_scale_rotate"}


def arch():
    return merged()["architectures"]["convnet"]


def dm_params(**kw):
    params = {"iterations": 200, "lr_img": 10.0, "momentum_img": 0.5, "batch_real": 64, "init": "real",
              "arch_spec": arch(), "augment_spec": DSA}
    params.update(kw)
    return params


def gm_params(**kw):
    params = {"iterations": 40, "lr_img": 0.1, "momentum_img": 0.5, "lr_net": 0.1, "batch_real": 128,
              "batch_train": 256, "init": "real", "arch_spec": arch(), "augment_spec": DSA,
              "bn_images_per_class": 16, "loops": {1: [1, 1], 10: [10, 10]}, "class_batching": "auto"}
    params.update(kw)
    return params


BUDGETS = {("dm", 1): dm_params(), ("dm", 10): dm_params(iterations=500),
           ("gm", 1): gm_params(), ("gm", 10): gm_params(iterations=20)}


@pytest.fixture(scope="module")
def distilled(digits):
    return {key: get_method(key[0])(digits, key[1], 0, params) for key, params in BUDGETS.items()}


def mean_accuracy(digits, images, labels) -> float:
    """Mean test accuracy over 3 eval seeds under the default ConvNet configuration."""
    cfg = evaluation_family(merged())["convnet-sgd-none"]
    results = train_runs([Run(cfg, s) for s in range(3)], images, labels, digits.x_test, digits.y_test, 10)
    return sum(r["test_acc"] for r in results) / 3


@pytest.mark.parametrize("method", ["dm", "gm"])
def test_loss_decreases(distilled, method):
    curve = distilled[(method, 1)]["loss_curve"]
    fifth = max(1, len(curve) // 5)
    assert curve[-fifth:].mean() < 0.9 * curve[:fifth].mean()


@pytest.fixture(scope="module")
def random_baseline(digits):
    """Random selection's expected accuracy at each k, measured once for both methods: the mean over three
    random subsets (one subset alone is a noisy baseline; at IPC 10 they range from 0.91 to 0.95 here)."""
    measured = {}

    def at(ipc: int) -> float:
        if ipc not in measured:
            subsets = [get_method("random")(digits, ipc, seed, {}) for seed in range(3)]
            measured[ipc] = sum(mean_accuracy(digits, r["images"], r["labels"]) for r in subsets) / len(subsets)
        return measured[ipc]
    return at


@pytest.mark.parametrize("method, ipc", sorted(BUDGETS))
def test_beats_random(digits, distilled, random_baseline, method, ipc):
    ours = distilled[(method, ipc)]
    assert mean_accuracy(digits, ours["images"], ours["labels"]) > random_baseline(ipc)


def test_batched_class_gradients_equal_the_loop(digits):
    net = init_model({"net": "convnet", "width": 8, "depth": 2}, 1, 10, 8, 0)
    real = digits.x_train[:200].view(10, 20, 1, 8, 8)
    y = torch.arange(10)[:, None].expand(10, 20)
    syn = torch.randn(10, 2, 1, 8, 8, generator=torch.Generator().manual_seed(0), requires_grad=True)
    ys = torch.arange(10)[:, None].expand(10, 2)
    image_grads = []
    for mode in ("vmap", "loop"):
        with torch.no_grad():
            g_real = class_gradients(net, real, y, False, mode)
        g_syn = class_gradients(net, syn, ys, True, mode)
        syn.grad = None
        matching_distance(g_real, g_syn).backward()
        image_grads.append((g_real, syn.grad.clone()))
    (ga, ia), (gb, ib) = image_grads
    for name in ga:
        assert torch.allclose(ga[name], gb[name], rtol=1e-4, atol=1e-6), name
    assert torch.allclose(ia, ib, rtol=1e-4, atol=1e-6)


def test_gm_distils_alike_with_vmap_and_with_the_loop(digits):
    """The CUDA default (per-class gradients under vmap) forced on the CPU: one GM iteration
    (two outer steps and their inner network steps) moves the images as the CPU's loop does."""
    params = gm_params(iterations=1, batch_real=16, loops={2: [2, 2]})
    images = {mode: get_method("gm")(digits, 2, 0, {**params, "class_batching": mode})["images"]
              for mode in ("vmap", "loop")}
    start = synthetic_init(digits, 2, "real", 0)[0]
    update = images["loop"] - start
    assert update.abs().max() > 0
    assert (images["vmap"] - images["loop"]).abs().max() <= 1e-4 * update.abs().max()


def test_loop_table_rule():
    assert loops_for(10) == (10, 50) and loops_for(1) == (1, 1)
    assert loops_for(2) == (1, 1) and loops_for(5) == (10, 50) and loops_for(100) == (50, 10)
    assert loops_for(7, {5: [2, 3], 9: [4, 5]}) == (4, 5)


def killed_and_resumed(split, params: dict, tmp_path, monkeypatch) -> tuple[dict, dict]:
    """(uninterrupted, resumed) DM sets: the second run killed at iteration 8, after its checkpoint of
    iteration 4, then run again from it."""
    whole = get_method("dm")(split, 2, 0, params)

    def checkpointer():
        return Checkpointer.for_run(tmp_path / "ck.pt", 5, hyper=params)

    real_generator = dm_module.iteration_generator

    def dies_at_eight(seed, it, device):
        if it == 8:
            raise KeyboardInterrupt("killed")
        return real_generator(seed, it, device)

    monkeypatch.setattr(dm_module, "iteration_generator", dies_at_eight)
    with pytest.raises(KeyboardInterrupt):
        get_method("dm")(split, 2, 0, params, checkpointer())
    monkeypatch.setattr(dm_module, "iteration_generator", real_generator)
    assert (tmp_path / "ck.pt").exists()
    return whole, get_method("dm")(split, 2, 0, params, checkpointer())


def test_resume_from_checkpoint_is_exact(digits, tmp_path, monkeypatch):
    params = dm_params(iterations=12)
    whole, resumed = killed_and_resumed(digits, params, tmp_path, monkeypatch)
    assert torch.equal(resumed["images"], whole["images"])
    assert torch.equal(resumed["loss_curve"], whole["loss_curve"])
    # a checkpoint of other hyper-parameters is not resumed
    other = Checkpointer.for_run(tmp_path / "ck.pt", 5, hyper={**params, "lr_img": 1.0})
    assert other.load() is None


def test_nan_stops_the_run_naming_the_iteration(digits):
    with pytest.raises(FloatingPointError, match=r"at iteration \d+|after iteration \d+"):
        get_method("dm")(digits, 1, 0, dm_params(iterations=30, lr_img=1e38))


def test_a_dm_run_whose_images_blow_up_stops_and_names_the_iteration_and_the_lr(digits):
    """The planted divergence of a real run: an MLP at DM's ConvNet lr_img (10) blows the images up
    finitely, which the NaN/inf guard never sees."""
    params = dm_params(arch_spec=merged()["architectures"]["mlp"], augment_spec={"type": "none"})
    with pytest.raises(Diverged, match=r"^dm: the images diverged at iteration \d+: .* beyond 100x; no result "
                                       r"was written and no checkpoint\. Lower the method's lr_img \(now 10\)$"):
        get_method("dm")(digits, 1, 0, params)


def test_a_divergence_keeps_the_last_checkpoint_before_it(tmp_path):
    """Images that triple every iteration pass 100x their start at iteration 4 (3^5 = 243); the checkpoint
    of iteration 3 (81x) stays, and a resume from it measures against the start, not against itself."""
    images = torch.ones(4, requires_grad=True)
    opt = torch.optim.SGD([images], lr=0.5)

    def step(it):
        with torch.no_grad():
            images.mul_(3.0)
        return 1.0

    checkpointer = Checkpointer.for_run(tmp_path / "ckpt.pt", 2, method="planted")
    with pytest.raises(Diverged, match=r"iteration 4: their RMS is 243, 243x their start \(1\).*"
                                       rf"the last checkpoint before it is kept at {tmp_path / 'ckpt.pt'}"):
        optimize("planted", step, {"images": images}, {"images": opt}, 10, checkpointer)
    state = checkpointer.load()
    assert int(state["iteration"]) == 3 and torch.allclose(state["tensors"]["images"], torch.full((4,), 81.0))
    with pytest.raises(Diverged, match="iteration 4: their RMS is 243, 243x their start"):
        optimize("planted", step, {"images": images}, {"images": opt}, 10, checkpointer)
