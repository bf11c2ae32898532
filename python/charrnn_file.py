"""charrnn-torch files: the model's tensors, Adam's state and the weight average, and metadata.

A file (safetensors; the full table is in docs/pytorch.md):
  tensors   the model's, named as in CharRNN.file_tensors(): weight_ih_l0, weight_hh_l0,
            bias_ih_l0, bias_hh_l0 (or ln_ih_l0.weight, ln_ih_l0.bias, ln_hh_l0.weight,
            ln_hh_l0.bias with layer norm), ..., decoder.weight, decoder.bias;
            optim.exp_avg.<name>, optim.exp_avg_sq.<name>: Adam's moments (optional);
            trained.<name>: with a weight average, the trained weights (the model's are the
            average, what validation and sampling use)
  metadata  format "charrnn-torch", version "2", config (cell, vocab_size, hidden_size,
            num_layers, dropout, dropout_mask, weight_drop, norm, zoneout), vocab (JSON list),
            module; optimizer {"name": "adam", "step", "lr", "betas", "eps", "weight_decay"}
            and average {"decay", "updates"} when present; other keys are kept as they are
"""

import json

import torch

from charrnn_model import CharRNN, describe
from charrnn_optim import adam_step, adam_tensors
from charrnn_safetensors import read_safetensors, write_safetensors

FORMAT = "charrnn-torch"
VERSION = "2"
READABLE = ("1", "2")
MODEL_DEFAULTS = dict(dropout=0.0, dropout_mask="position", weight_drop=0.0, norm="none",
                      zoneout=0.0)
GROUPS = {"optim.exp_avg.": "exp_avg", "optim.exp_avg_sq.": "exp_avg_sq", "trained.": "trained"}


def read_file(path):
    """Reads and checks a charrnn-torch file: {config, vocab, meta, model, exp_avg, exp_avg_sq,
    trained} (the last four: {name: tensor}, empty when absent)."""
    tensors, meta = read_safetensors(path)
    if meta.get("format") != FORMAT or meta.get("version") not in READABLE:
        raise ValueError(f"{path}: not a {FORMAT} v{VERSION} file; export one with "
                         "deno task export --format torch")
    missing = [key for key in ("config", "vocab") if key not in meta]
    if missing:
        raise ValueError(f"{path}: metadata {missing[0]!r} is missing")
    config = {**MODEL_DEFAULTS, **json.loads(meta["config"])}
    vocab = json.loads(meta["vocab"])
    if len(vocab) != config["vocab_size"]:
        raise ValueError(f"{path}: {len(vocab)} characters for vocab_size {config['vocab_size']}")
    out = dict(config=config, vocab=vocab, meta=meta, model={}, exp_avg={}, exp_avg_sq={},
               trained={})
    for name, t in tensors.items():
        prefix = next((p for p in GROUPS if name.startswith(p)), None)
        out[GROUPS[prefix] if prefix else "model"][name.removeprefix(prefix or "")] = t
    return out


def load_weights(model, tensors, what="the model"):
    """Copies {file name: tensor} into the model; missing, extra or misshapen tensors raise."""
    names = model.file_tensors()
    if set(tensors) != set(names):
        odd = sorted(set(tensors) ^ set(names))[0]
        raise ValueError(f"{what}: tensor {odd!r} is {'extra' if odd in tensors else 'missing'}")
    with torch.no_grad():
        for name, p in names.items():
            if tensors[name].shape != p.shape:
                raise ValueError(f"{what}: tensor {name!r} has shape {list(tensors[name].shape)}"
                                 f", expected {list(p.shape)}")
            p.copy_(tensors[name])


def load(path, device="cpu"):
    """Reads a charrnn-torch file: returns (model in eval mode, vocab list, metadata)."""
    f = read_file(path)
    model = CharRNN(**f["config"])
    load_weights(model, f["model"], path)
    return model.to(device).eval(), f["vocab"], f["meta"]


def save(path, model, vocab, metadata, opt=None, average=None):
    """Writes the model (float32; with an average, the average and the trained weights), its
    config and vocabulary, Adam's state when given, and the other metadata strings."""
    model = getattr(model, "module", model)  # unwrap DistributedDataParallel
    weights = {n: p.detach() for n, p in model.file_tensors().items()}
    tensors = {n: t.float() for n, t in (average.values if average else weights).items()}
    meta = {k: str(v) for k, v in metadata.items()}
    if average:
        tensors.update({f"trained.{n}": t.float() for n, t in weights.items()})
        meta["average"] = json.dumps(dict(decay=average.beta, updates=average.updates))
    if opt:
        tensors.update(adam_tensors(model, opt))
        group = opt.param_groups[0]
        meta["optimizer"] = json.dumps(dict(
            name="adam", step=adam_step(model, opt), lr=group["lr"], betas=list(group["betas"]),
            eps=group["eps"], weight_decay=group["weight_decay"]))
    meta.update(format=FORMAT, version=VERSION, config=json.dumps(model.config),
                vocab=json.dumps(vocab, ensure_ascii=False), module=describe(model.config))
    write_safetensors(path, tensors, meta)
