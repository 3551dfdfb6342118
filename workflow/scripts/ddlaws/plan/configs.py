"""The config vocabulary: validation, the evaluation family, per-method parameters.

Pure Python (no torch), so the Snakefile uses it at parse time to validate the
config before any job starts and to hand each job exactly the resolved
parameters it depends on.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import yaml

from ..data.catalog import DATASETS
from ..data.custom import check_custom
from ..methods import METHODS
from .options import AUGMENTATIONS, OPTIMIZERS, ConfigError, check_arch_spec, check_options, optimizer_spec

GRID_AXES = ("arch", "optimizer", "augment")
GRID_EXTRA = {"lr": "lr", "weight_decay": "wd", "epochs": "ep"}


def method_blocks() -> list[str]:
    """The config blocks of the registered methods that have one (``gm``, ``dm``, ``mtt``)."""
    return [name for name, m in METHODS.items() if m.configured]


# ----------------------------------------------------------------------------- schema

def _validator_class():
    from jsonschema import Draft202012Validator, validators

    base = Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, sub in properties.items():
                if "default" in sub and key not in instance:
                    instance[key] = copy.deepcopy(sub["default"])
        yield from base(validator, properties, instance, schema)

    return validators.extend(Draft202012Validator, {"properties": set_defaults})


def _path(error) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def add_datasets(schema: dict, config: dict) -> None:
    """The registered datasets into the schema: their names into its dataset lists (with the config's
    own datasets), their config blocks under ``data``."""
    custom = config.get("custom_datasets")
    names = sorted(DATASETS) + sorted(custom if isinstance(custom, dict) else {})
    properties = schema["properties"]
    data = properties["data"]["properties"]
    properties["datasets"]["items"]["enum"] = names
    data["zca"]["items"]["enum"] = names
    data["local"]["propertyNames"]["enum"] = sorted(n for n, d in DATASETS.items() if d.source is None)
    for name, entry in DATASETS.items():
        if entry.schema is None:
            continue
        if name in data:
            raise ConfigError(f"config key 'data.{name}': dataset {name!r} of {entry.module} brings a config block, "
                              f"but 'data.{name}' is a config key already; register the dataset under another name")
        data[name] = entry.schema


def validate(config: dict, schema_path: str | Path) -> dict:
    """Fill defaults into ``config`` (in place) and reject anything invalid.

    Raises ConfigError listing every problem, each with the dotted key it is at.
    The schema file holds our methods' blocks; a plug-in's method brings its own,
    and every registered dataset its block under ``data`` and its name.
    """
    schema = yaml.safe_load(Path(schema_path).read_text())
    add_datasets(schema, config)
    for name, m in METHODS.items():
        if m.schema is None:
            continue
        if name in schema["properties"]:
            raise ConfigError(f"config key '{name}': method {name!r} of {m.module} brings a config block, but "
                              f"{name!r} is a config key already; register the method under another name")
        schema["properties"][name] = m.schema
    validator = _validator_class()
    errors = sorted(validator(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  - config key '{_path(e)}': {e.message}" for e in errors]
        raise ConfigError("invalid config:\n" + "\n".join(lines))
    def check_set(method: str, values: dict, where: str) -> None:
        """``values`` laid over the method's block must still fit its schema."""
        block = config.get(method, {})
        merged = {**{k: v for k, v in block.items() if k != "overrides"}, **values}
        sub = {**schema["properties"][method], "$defs": schema["$defs"]}
        for e in validator(sub).iter_errors(merged):
            raise ConfigError(f"invalid config:\n  - config key '{where}': {e.message}")

    for method in method_blocks():
        for i, rule in enumerate(config.get(method, {}).get("overrides", [])):
            check_set(method, rule["set"], f"{method}.overrides.{i}.set")
    for name, variant in config.get("variants", {}).items():
        if variant["method"] in method_blocks() and variant.get("set"):
            check_set(variant["method"], variant["set"], f"variants.{name}.set")
    check_references(config)
    return config


def base_method(config: dict, name: str) -> str:
    """The registered method a name of ``methods`` runs: itself, or a pool variant's method."""
    variant = config.get("variants", {}).get(name)
    return variant["method"] if variant else name


def check_variants(config: dict) -> None:
    for name, variant in config.get("variants", {}).items():
        if name in METHODS:
            raise ConfigError(f"config key 'variants.{name}': the name is a registered method's; choose another")
        base = variant["method"]
        if base not in METHODS or not METHODS[base].pooled:
            pooled = sorted(n for n, m in METHODS.items() if m.pooled)
            raise ConfigError(f"config key 'variants.{name}.method': {base!r} cannot distil against a pool "
                              f"(methods that can: {pooled})")
        for key, table in (("arch", "architectures"), ("optimizer", "optimizers")):
            for value in variant["pool"].get(key, []):
                check_defined(config, table, value, f"variants.{name}.pool.{key}")
        for key, table in (("arch", "architectures"), ("augment", "augmentations")):
            if key in variant.get("set", {}):
                check_defined(config, table, variant["set"][key], f"variants.{name}.set.{key}")


def check_external(config: dict) -> None:
    """An external set's name must be free, and its dataset one the config runs (its references)."""
    taken = set(METHODS) | set(config.get("variants", {})) | set(config["methods"])
    for name, block in config.get("external", {}).items():
        if name in taken:
            raise ConfigError(f"config key 'external.{name}': the name is already a method's "
                              f"(methods, variants and registered methods: {sorted(taken)}); choose another")
        if block["dataset"] not in config["datasets"]:
            raise ConfigError(f"config key 'external.{name}.dataset': {block['dataset']!r} is not in 'datasets' "
                              f"({config['datasets']}); the set's Δ needs that dataset's references")


def all_methods(config: dict) -> list[str]:
    """Every method of the run by name: ``methods``, then the external sets."""
    return list(config["methods"]) + list(config.get("external", {}))


def label_regime(config: dict, name: str, dataset: str, ipc: int) -> str:
    """``soft`` for the sets of an external set declared with soft labels, or of a method whose
    parameters for (dataset, ipc) learn them (MTT's ``soft_labels``); ``hard`` for the rest."""
    block = config.get("external", {}).get(name)
    if block is not None:
        return "soft" if block["labels"] != "hard" else "hard"
    return "soft" if method_params(config, name, dataset, ipc).get("soft_labels") else "hard"


def soft_label_loss(config: dict, name: str, dataset: str, ipc: int) -> dict | None:
    """The soft-label loss a method's sets train with (None for hard labels): only what it uses, so that a
    temperature change re-runs the ``kl`` sets alone."""
    if label_regime(config, name, dataset, ipc) == "hard":
        return None
    loss = config["evaluation"]["soft_label"]
    return {"loss": "ce"} if loss["loss"] == "ce" else {"loss": "kl", "temperature": float(loss["temperature"])}


def check_label_regimes(config: dict) -> None:
    """A method's sets share one label regime, as its laws are one fit per regime and method."""
    for name in config["methods"]:
        regimes = {label_regime(config, name, d, k) for d in config["datasets"] for k in config["ipcs"]}
        if len(regimes) > 1:
            raise ConfigError(f"config key '{base_method(config, name)}.overrides': {name!r} learns soft labels at "
                              "some IPCs and not at others; set soft_labels for all of its IPCs")


def check_references(config: dict) -> None:
    """What a schema cannot say: names must refer to defined entries, options must fit."""
    check_variants(config)
    check_external(config)
    check_custom(config)
    for i, name in enumerate(config["methods"]):
        if name not in METHODS and name not in config.get("variants", {}):
            raise ConfigError(f"config key 'methods.{i}': unknown method {name!r}; registered: {sorted(METHODS)}, "
                              f"variants: {sorted(config.get('variants', {}))}")
    for name, spec in config["architectures"].items():
        check_arch_spec(spec, f"architectures.{name}")
    for name, spec in config["augmentations"].items():
        check_options("augmentation", f"augmentations.{name}", spec, AUGMENTATIONS)
    for name, spec in config["optimizers"].items():
        check_options("optimizer", f"optimizers.{name}", spec, OPTIMIZERS)
    grid = config["evaluation"]["grid"]
    for axis, table in zip(GRID_AXES, ("architectures", "optimizers", "augmentations")):
        for value in grid[axis]:
            check_defined(config, table, value, f"evaluation.grid.{axis}")
    steps = config["evaluation"]["min_steps"]
    for arch in steps if isinstance(steps, dict) else []:
        check_defined(config, "architectures", arch, f"evaluation.min_steps.{arch}")
    for name, spec in config["evaluation"]["configs"].items():
        check_training_refs(config, spec, f"evaluation.configs.{name}")
    check_training_refs(config, config["experts"]["training"], "experts.training")
    for method in method_blocks():
        block = config.get(method, {})
        for key, table in (("arch", "architectures"), ("augment", "augmentations")):
            if key in block:
                check_defined(config, table, block[key], f"{method}.{key}")
    if not evaluation_family(config):
        raise ConfigError("config key 'evaluation': the family is empty")
    check_plan_family(config)
    check_label_regimes(config)
    for name in config["methods"]:  # a variant is checked with its own parameters
        check = METHODS[base_method(config, name)].check
        if check is not None:
            check(config, name)


def check_plan_family(config: dict) -> None:
    """The planner's family, where it lists configurations, must name configurations of the evaluation family."""
    family = config.get("plan", {}).get("family", "all")
    if family == "all":
        return
    names = evaluation_family(config)
    for i, name in enumerate(family):
        if name not in names:
            raise ConfigError(f"config key 'plan.family.{i}': {name!r} is not a configuration of the evaluation "
                              f"family (its configurations: {sorted(names)})")


def check_defined(config: dict, table: str, name: str, where: str) -> None:
    """``name``, given at config key ``where``, must be an entry of ``config[table]``."""
    if name not in config[table]:
        raise ConfigError(f"config key '{where}': {name!r} is not defined in '{table}' "
                          f"(defined: {sorted(config[table])})")


def check_training_refs(config: dict, spec: dict, where: str) -> None:
    for key, table in (("arch", "architectures"), ("optimizer", "optimizers"), ("augment", "augmentations")):
        check_defined(config, table, spec[key], f"{where}.{key}")


# ----------------------------------------------------------------------------- training configs

def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def min_steps(value: int | dict, arch: str) -> int:
    """``evaluation.min_steps`` for one architecture: the number, or the architecture's entry of the mapping."""
    return int(value.get(arch, 0) if isinstance(value, dict) else value)


def resolve_training(config: dict, spec: dict, defaults: dict, name: str) -> dict:
    """A self-contained training configuration: names replaced by what they name."""
    optimizer = optimizer_spec(config["optimizers"][spec["optimizer"]])
    for key in ("lr", "weight_decay"):
        if key in spec:
            optimizer[key] = spec[key]
    return {
        "name": name,
        "arch_name": spec["arch"],
        "arch": dict(config["architectures"][spec["arch"]]),
        "optimizer_name": spec["optimizer"],
        "optimizer": optimizer,
        "augment": dict(config["augmentations"][spec["augment"]]),
        "epochs": int(spec.get("epochs", defaults["epochs"])),
        "min_steps": min_steps(spec.get("min_steps", defaults["min_steps"]), spec["arch"]),
        "batch": int(spec.get("batch", defaults["batch"])),
        "schedule": spec.get("schedule", defaults["schedule"]),
    }


def evaluation_family(config: dict) -> dict[str, dict]:
    """The evaluation family: grid expansion plus the named extras, by stable name."""
    ev = config["evaluation"]
    grid = ev["grid"]
    extra_axes = [axis for axis in GRID_EXTRA if axis in grid]
    family: dict[str, dict] = {}
    axes = [grid[a] for a in GRID_AXES] + [grid[a] for a in extra_axes]
    for combo in itertools.product(*axes):
        spec = dict(zip(GRID_AXES, combo[:3]))
        parts = list(combo[:3])
        for axis, value in zip(extra_axes, combo[3:]):
            spec[axis] = value
            parts.append(f"{GRID_EXTRA[axis]}{_fmt(value)}")
        name = "-".join(parts)
        family[name] = resolve_training(config, spec, ev, name)
    for name, spec in ev["configs"].items():
        if name in family:
            raise ConfigError(f"config key 'evaluation.configs.{name}': the grid already defines {name!r}")
        family[name] = resolve_training(config, spec, ev, name)
    return family


def expert_training(config: dict, arch: str | None = None, optimizer: str | None = None) -> dict:
    """The configuration experts train with, named ``arch-optimizer-augment-ep<epochs>``;
    ``arch`` and ``optimizer`` replace those of ``experts.training`` (a pool's experts)."""
    spec = dict(config["experts"]["training"])
    spec.update({key: value for key, value in (("arch", arch), ("optimizer", optimizer)) if value is not None})
    epochs = int(spec["epochs"])
    name = f"{spec['arch']}-{spec['optimizer']}-{spec['augment']}-ep{epochs}"
    defaults = {"epochs": epochs, "min_steps": 0, "batch": 256, "schedule": "none"}
    return resolve_training(config, spec, defaults, name)


def pool_trainings(config: dict, pool: dict | None) -> list[dict]:
    """The expert configurations of a pool: its architectures × optimizers (the experts' own by default)."""
    if pool is None:
        return [expert_training(config)]
    optimizers = pool.get("optimizer", [config["experts"]["training"]["optimizer"]])
    return [expert_training(config, arch, opt) for arch in pool["arch"] for opt in optimizers]


def expert_trainings(config: dict) -> dict[str, dict]:
    """Every expert configuration the config's methods read, by name."""
    out = {}
    for name in config["methods"]:
        base = base_method(config, name)
        if "experts" in METHODS[base].inputs:
            pool = config.get("variants", {}).get(name, {}).get("pool")
            out.update({t["name"]: t for t in pool_trainings(config, pool)})
    return out


def reference_training(config: dict, name: str) -> dict:
    """The configuration a full-data reference model is trained with."""
    spec = {**evaluation_family(config)[name], "min_steps": 0}  # the full data: thousands of steps per epoch
    epochs = config["evaluation"]["reference_epochs"]
    if epochs is not None:
        spec["epochs"] = int(epochs)
    return spec


# ----------------------------------------------------------------------------- methods

def _matches(rule: dict, dataset: str, ipc: int) -> bool:
    return dataset in rule.get("datasets", [dataset]) and ipc in rule.get("ipcs", [ipc])


def method_params(config: dict, method: str, dataset: str, ipc: int) -> dict:
    """A method's hyper-parameters for one (dataset, ipc): its config block, then every
    matching entry of its ``overrides`` list in order; names resolved to specs.
    A pool variant takes its method's block (its overrides applied), then its
    own ``set`` values, which win, and its ``pool``. A method that reads the experts also gets their training
    configurations, which its result depends on."""
    variant = config.get("variants", {}).get(method)
    base = base_method(config, method)
    block = copy.deepcopy(config.get(base, {}))
    if variant is not None:
        block["pool"] = copy.deepcopy(variant["pool"])
    if "experts" in METHODS[base].inputs:
        block["experts"] = {"count": config["experts"]["count"],
                            "trainings": pool_trainings(config, block.get("pool"))}
    overrides = block.pop("overrides", [])
    for rule in overrides:
        if _matches(rule, dataset, ipc):
            block.update(copy.deepcopy(rule["set"]))
    if variant is not None:
        block.update(copy.deepcopy(variant.get("set", {})))
    if "arch" in block:
        block["arch_spec"] = dict(config["architectures"][block["arch"]])
    if "pool" in block:
        block["pool_arch_specs"] = {name: dict(config["architectures"][name]) for name in block["pool"]["arch"]}
    if "augment" in block:
        block["augment_spec"] = dict(config["augmentations"][block["augment"]])
    return block


def pool_membership(config: dict) -> dict[str, dict]:
    """Per pool variant of ``methods``: its plain method and the family's configurations inside its pool.

    A configuration is in the pool when its architecture is among the pool's
    (and, for a pool that names optimizers, its optimizer too); the rest are
    out of the pool, the configurations the variant was not distilled against.
    """
    out = {}
    for name in config["methods"]:
        variant = config.get("variants", {}).get(name)
        if variant is None:
            continue
        pool = variant["pool"]
        inside = [config_name for config_name, training in evaluation_family(config).items()
                  if training["arch_name"] in pool["arch"]
                  and ("optimizer" not in pool or training["optimizer_name"] in pool["optimizer"])]
        out[name] = {"method": variant["method"], "in_pool": inside}
    return out
