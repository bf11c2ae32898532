"""Runs the PyTorch side of tests/interop/torch_test.ts in one process (torch loads once).

Usage: python3 torch_probe.py JOBS.json, where JOBS.json is a list of jobs, done in order:
  {"op": "train", "argv": [...]}          python/charrnn_torch.py train with these arguments
  {"op": "logits", "model": M, "text": S, "out": F}
      the logits (T, V) of model M over the characters of S from a zero state, teacher-forced,
      written to F as float32 safetensors tensor "logits"
  {"op": "sample", "model": M, "prime": P, "length": N, "out": F}
      the greedy (temperature 0) continuation of P, written to F as UTF-8 text
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import charrnn_torch as ct  # noqa: E402
import torch  # noqa: E402
from charrnn_safetensors import write_safetensors  # noqa: E402

torch.set_num_threads(1)
for job in json.load(open(sys.argv[1], encoding="utf-8")):
    if job["op"] == "train":
        torch.manual_seed(0)
        if ct.main(["train", *job["argv"]]) != 0:
            sys.exit(1)
        continue
    model, vocab, _ = ct.load(job["model"])
    if job["op"] == "logits":
        ids = ct.encode(vocab, job["text"]).view(-1, 1)  # (T, 1)
        with torch.no_grad():
            logits, _ = model(ids)  # (T, 1, V)
        write_safetensors(job["out"], {"logits": logits[:, 0].float()}, {})
    elif job["op"] == "sample":
        text = ct.sample(model, vocab, job["prime"], job["length"], temperature=0)
        with open(job["out"], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.exit(f"unknown op {job['op']}")
