"""A small reader and writer of safetensors files (PyTorch 1.13 cannot read them by itself).

The format: an 8-byte little-endian header length, a JSON header (per tensor: dtype, shape,
data_offsets; "__metadata__": string pairs), then the raw little-endian tensor bytes.
Standard library + torch only.
"""

import json
import math
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64}


def read_safetensors(path):
    """Returns ({name: tensor}, {metadata key: string}) of a safetensors file."""
    if sys.byteorder != "little":
        raise RuntimeError("safetensors files are little-endian; this reader needs such a host")
    with open(path, "rb") as f:
        data = memoryview(f.read())
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file (too short)")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} exceeds the file (truncated?)")
    header = json.loads(bytes(data[8 : 8 + n]).decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    body = data[8 + n :]
    tensors = {}
    for name, entry in header.items():
        dtype = DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}; use F32 or F64")
        begin, end = entry["data_offsets"]
        if not 0 <= begin <= end <= len(body):
            raise ValueError(f"{path}: tensor {name} lies outside the file (truncated?)")
        shape = entry["shape"]
        if end - begin != math.prod(shape) * torch.empty((), dtype=dtype).element_size():
            raise ValueError(f"{path}: tensor {name} has {end - begin} bytes for shape {shape}")
        raw = bytearray(body[begin:end])  # a fresh, aligned, writable copy
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(shape)
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Writes {name: tensor} (F32/F64) and string metadata atomically (temp file + rename)."""
    names = sorted(tensors)
    header, offset = {"__metadata__": metadata}, 0
    for name in names:
        t = tensors[name]
        dtype = next(k for k, v in DTYPES.items() if v == t.dtype)
        size = t.numel() * t.element_size()
        header[name] = dict(dtype=dtype, shape=list(t.shape), data_offsets=[offset, offset + size])
        offset += size
    text = json.dumps(header, ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    body = bytearray(offset)
    for name in names:
        t, begin = tensors[name], header[name]["data_offsets"][0]
        if t.numel() > 0:
            view = torch.frombuffer(body, dtype=t.dtype, count=t.numel(), offset=begin)
            view.copy_(t.detach().reshape(-1).cpu())
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
