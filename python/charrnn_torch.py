"""The workbench's char-RNN in PyTorch: sample and train it on GPUs or across machines.

Loads a model exported with `deno task export --format torch` (or starts a new one), samples
from it, keeps training it, and saves a file that `deno task import --from torch` brings back.

Standard library + torch only. PyTorch 1.13 cannot read safetensors by itself, so this file
carries a small reader and writer of the format (8-byte little-endian header length, JSON
header, raw little-endian tensor bytes).

The model is `nn.RNN` / `nn.LSTM` / `nn.GRU` (batch_first=False, input size V: one-hot
characters) + dropout + `nn.Linear(H, V)` named `decoder`. The file holds the recurrent
module's own state_dict names (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, ...)
and `decoder.weight`, `decoder.bias`; the metadata holds `format` "charrnn-torch", `version`,
`config` (cell, vocab_size, hidden_size, num_layers, dropout) and `vocab` (JSON list).

Commands (shapes: T = sequence length, B = batch size per process, V = vocabulary, H = hidden):

    python3 python/charrnn_torch.py sample --checkpoint model.safetensors --prime "The "
    python3 python/charrnn_torch.py train --checkpoint model.safetensors --text data/big.txt \\
        --out trained.safetensors --steps 1000
    torchrun --standalone --nproc_per_node 2 --redirects 1 --tee 1 python/charrnn_torch.py \\
        train --ddp --checkpoint model.safetensors --text data/big.txt --out trained.safetensors

With --ddp every process trains on its own B streams of the text under
DistributedDataParallel (gloo on CPU, nccl on GPUs); process 0 saves the result.
`--redirects 1 --tee 1` only copies each process's output to a log file; Debian's torchrun
(PyTorch 1.13 on Python 3.11) needs it, as its default value "0" fails there.
"""

import argparse
import json
import math
import os
import struct
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

FORMAT = "charrnn-torch"
VERSION = "1"
DTYPES = {"F32": torch.float32, "F64": torch.float64}
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


# ----- safetensors ------------------------------------------------------------------------


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


# ----- the model --------------------------------------------------------------------------


class CharRNN(nn.Module):
    """One-hot characters -> L recurrent layers -> dropout -> linear decoder to V logits."""

    def __init__(self, cell, vocab_size, hidden_size, num_layers=1, dropout=0.0):
        super().__init__()
        self.config = dict(cell=cell, vocab_size=vocab_size, hidden_size=hidden_size,
                           num_layers=num_layers, dropout=dropout)
        between = dropout if num_layers > 1 else 0.0
        self.rnn = CELLS[cell](vocab_size, hidden_size, num_layers, dropout=between)
        self.drop = nn.Dropout(dropout)  # on the top layer's output, as the workbench does
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        """ids (T, B) character indices -> logits (T, B, V) and the state after step T."""
        x = F.one_hot(ids, self.config["vocab_size"]).to(self.decoder.weight.dtype)  # (T, B, V)
        out, state = self.rnn(x, state)  # (T, B, H)
        return self.decoder(self.drop(out)), state


def load(path, device="cpu"):
    """Reads a charrnn-torch file: returns (model in eval mode, vocab list, metadata)."""
    tensors, meta = read_safetensors(path)
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise ValueError(f"{path}: not a {FORMAT} v{VERSION} file; export one with "
                         "deno task export --format torch")
    missing = [key for key in ("config", "vocab") if key not in meta]
    if missing:
        raise ValueError(f"{path}: metadata {missing[0]!r} is missing")
    config, vocab = json.loads(meta["config"]), json.loads(meta["vocab"])
    if len(vocab) != config["vocab_size"]:
        raise ValueError(f"{path}: {len(vocab)} characters for vocab_size {config['vocab_size']}")
    model = CharRNN(**config)
    state = {("rnn." + k if not k.startswith("decoder.") else k): v for k, v in tensors.items()}
    model.load_state_dict(state, strict=True)  # missing, extra or misshapen tensors raise
    return model.to(device).eval(), vocab, meta


def save(path, model, vocab, metadata=None):
    """Writes a model under the file's names (float32), with its config and vocabulary."""
    model = getattr(model, "module", model)  # unwrap DistributedDataParallel
    tensors = {k.removeprefix("rnn."): v.float() for k, v in model.state_dict().items()}
    config = model.config
    meta = {k: str(v) for k, v in (metadata or {}).items()}
    V, H, L, p = (config[k] for k in ("vocab_size", "hidden_size", "num_layers", "dropout"))
    cls, drop = CELLS[config["cell"]].__name__, f", dropout={p}" if p > 0 else ""
    meta.update(format=FORMAT, version=VERSION, config=json.dumps(config),
                vocab=json.dumps(vocab, ensure_ascii=False),
                module=f"nn.{cls}({V}, {H}, num_layers={L}{drop}) + nn.Linear({H}, {V})")
    write_safetensors(path, tensors, meta)


def encode(vocab, text):
    index = {c: i for i, c in enumerate(vocab)}
    missing = sorted(set(text) - index.keys())
    if missing:
        raise ValueError(f"characters {''.join(missing)!r} are not in the model's vocabulary")
    return torch.tensor([index[c] for c in text], dtype=torch.long)


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


@torch.no_grad()
def sample(model, vocab, prime="", length=200, temperature=0.8, top_k=0, generator=None):
    """Feeds the prime, then draws `length` characters (temperature 0: the most likely)."""
    device = model.decoder.weight.device
    ids = encode(vocab, prime).tolist() if prime else [
        vocab.index("\n") if "\n" in vocab else vocab.index(" ") if " " in vocab else 0]
    logits, state = model(torch.tensor(ids, device=device).view(-1, 1))
    last, out = logits[-1, 0], []
    for _ in range(length):
        if temperature == 0:
            idx = int(last.argmax())
        else:
            p = F.softmax(last.double() / temperature, dim=-1)
            if 0 < top_k < len(vocab):
                p[p < p.topk(top_k).values[-1]] = 0
            idx = int(torch.multinomial(p.cpu(), 1, generator=generator))
        out.append(vocab[idx])
        logits, state = model(torch.tensor([[idx]], device=device), state)
        last = logits[-1, 0]
    return "".join(out)


# ----- training ---------------------------------------------------------------------------


def train(args):
    """Adam on B streams of a text per process (truncated BPTT, state carried across chunks)."""
    ddp = args.ddp
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if ddp:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
            torch.cuda.set_device(device)
    else:
        rank, world = 0, 1
    torch.manual_seed(args.seed)
    with open(args.text, encoding="utf-8-sig") as f:  # no BOM; \r\n read as \n
        text = f.read()
    shape = dict(cell=args.cell, hidden_size=args.hidden_size, num_layers=args.num_layers,
                 dropout=args.dropout)
    if args.checkpoint:
        given = [k for k, v in shape.items() if v is not None]
        if given:
            raise ValueError(f"--{given[0].replace('_', '-')} is for a new model; the "
                             f"checkpoint {args.checkpoint} fixes its shape")
        model, vocab, meta = load(args.checkpoint, device)
    else:
        vocab, meta = sorted(set(text)), {}
        defaults = dict(cell="lstm", hidden_size=256, num_layers=2, dropout=0.0)
        shape = {k: defaults[k] if v is None else v for k, v in shape.items()}
        if shape["dropout"] > 0 and shape["num_layers"] < 2:
            raise ValueError("--dropout acts between layers: it needs --num-layers 2 or more")
        model = CharRNN(vocab_size=len(vocab), **shape).to(device)
    model.train()
    ids = encode(vocab, text)
    T, B, S = args.seq_length, args.batch_size, world * args.batch_size
    n = (len(ids) - 1) // S  # characters per stream
    if n < T + 1:
        raise ValueError(f"{args.text}: {len(ids)} characters are too few for {S} streams of "
                         f"{T + 1}; lower --batch-size or --seq-length")

    def streams(shift):  # S streams of n characters, (n, S) time-major; this process's B of them
        return ids[shift : shift + S * n].view(S, n).t()[:, rank * B : (rank + 1) * B].to(device)

    xs, ys = streams(0), streams(1)  # inputs and targets, (n, B)
    net = nn.parallel.DistributedDataParallel(model) if ddp else model  # syncs the initial weights
    opt = torch.optim.Adam(net.parameters(), lr=args.learning_rate)
    state, pos, start = None, 0, time.time()
    for step in range(1, args.steps + 1):
        if pos + T > n:
            state, pos = None, 0  # an epoch is done: start the streams again
        logits, state = net(xs[pos : pos + T], state)
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), ys[pos : pos + T].reshape(-1))
        opt.zero_grad()
        loss.backward()  # under DDP the gradients are averaged over the processes here
        norm = nn.utils.clip_grad_norm_(net.parameters(), args.clip)
        opt.step()
        state, pos = detach(state), pos + T
        if step % args.print_every == 0 or step == args.steps:
            shown = loss.detach().clone()
            if ddp:
                dist.all_reduce(shown)
                shown /= world
            if rank == 0:
                rate = step * T * S / (time.time() - start)
                print(f"step {step}/{args.steps} | loss {shown.item():.4f} | grad norm "
                      f"{norm.item():.3f} | {rate:,.0f} chars/s", flush=True)
    if rank == 0:
        done = int(meta.get("step", 0)) + args.steps
        save(args.out, model, vocab, {"source": "charrnn_torch.py train", "step": done,
                                      "corpus": args.text, "world_size": world})
        print(f"saved {args.out} (step {done}, {world} process{'es' if world > 1 else ''})")
    if ddp:
        dist.barrier()
        dist.destroy_process_group()


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(prog="charrnn_torch.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="print the prime and --length generated characters")
    s.add_argument("--checkpoint", required=True, help="a charrnn-torch .safetensors file")
    s.add_argument("--prime", default="")
    s.add_argument("--length", type=int, default=500, help="characters after the prime")
    s.add_argument("--temperature", type=float, default=0.8, help="0 = the most likely")
    s.add_argument("--top-k", type=int, default=0, help="draw from the K most likely (0 = all)")
    s.add_argument("--seed", type=int, default=42)
    t = sub.add_parser("train", help="keep training a model (or a new one) on a text file")
    t.add_argument("--text", required=True, help="UTF-8 training text")
    t.add_argument("--out", required=True, help="where to save the trained .safetensors")
    t.add_argument("--checkpoint", help="model to continue (default: a new one, see --cell)")
    t.add_argument("--cell", choices=sorted(CELLS), help="new model: the cell (default lstm)")
    t.add_argument("--hidden-size", type=positive, help="new model: H (default 256)")
    t.add_argument("--num-layers", type=positive, help="new model: L (default 2)")
    t.add_argument("--dropout", type=float, help="new model: dropout (default 0)")
    t.add_argument("--steps", type=positive, default=1000, help="optimizer steps (Adam)")
    t.add_argument("--seq-length", type=positive, default=64, help="T, characters per chunk")
    t.add_argument("--batch-size", type=positive, default=32, help="B, streams per process")
    t.add_argument("--learning-rate", type=float, default=2e-3, help="Adam's learning rate")
    t.add_argument("--clip", type=float, default=5.0, help="max global gradient norm")
    t.add_argument("--print-every", type=positive, default=100, help="steps between loss lines")
    t.add_argument("--seed", type=int, default=42, help="seed of a new model's weights")
    t.add_argument("--device", help="cpu, cuda (default: cuda when available)")
    t.add_argument("--ddp", action="store_true", help="DistributedDataParallel under torchrun")
    args = parser.parse_args(argv)
    try:
        if args.command == "sample":
            model, vocab, _ = load(args.checkpoint)
            gen = torch.Generator().manual_seed(args.seed)
            text = sample(model, vocab, args.prime, args.length, args.temperature, args.top_k, gen)
            print(args.prime + text)
        else:
            train(args)
    except (OSError, ValueError, RuntimeError) as e:  # bad files or text: one line
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
