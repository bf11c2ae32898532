"""The workbench's char-RNN in PyTorch: sample and train it on GPUs or across machines.

Loads a model exported with `deno task export --format torch` (or starts a new one), samples
from it, keeps training it where the workbench stopped (its Adam moments and step, weight decay
and weight average), and saves a file that `deno task import --from torch` brings back with
the optimizer state. The modules are in charrnn_model.py; PyTorch 1.13 cannot read safetensors
by itself, so charrnn_safetensors.py carries a reader and writer. Standard library + torch only.

The file format is in charrnn_file.py (and docs/pytorch.md), Adam and the weight average as the
workbench computes them in charrnn_optim.py.

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
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from charrnn_file import MODEL_DEFAULTS, load, load_weights, read_file, save
from charrnn_model import CELLS, CharRNN
from charrnn_optim import ADAM, WeightAverage, clip_global_norm, make_optimizer, restore_adam


# ----- sampling ---------------------------------------------------------------------------


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


def start_processes(args):
    """(rank, world size, device); under --ddp joins the process group torchrun set up."""
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if not args.ddp:
        return 0, 1, device
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    return dist.get_rank(), dist.get_world_size(), device


NEW_MODEL = ("cell", "hidden_size", "num_layers", "dropout", "dropout_mask", "weight_drop",
             "norm", "zoneout", "init_scale", "weight_average")


def prepare(args, text, device):
    """The model to train (its trained weights), Adam, the weight average and the metadata."""
    return continued(args, device) if args.checkpoint else started(args, text, device)


def continued(args, device):
    """The file's model, its trained weights, Adam's state and average; its metadata."""
    given = [k for k in NEW_MODEL if getattr(args, k) is not None]
    if given:
        raise ValueError(f"--{given[0].replace('_', '-')} is for a new model; the "
                         f"checkpoint {args.checkpoint} fixes it")
    f = read_file(args.checkpoint)
    model = CharRNN(**f["config"]).to(device)
    load_weights(model, f["trained"] or f["model"], args.checkpoint)
    avg = json.loads(f["meta"].get("average", "null"))
    if bool(avg) != bool(f["trained"]):
        raise ValueError(f"{args.checkpoint}: metadata 'average' and the trained.* tensors "
                         "come together; one of them is missing")
    average = avg and WeightAverage(model, avg["decay"], avg["updates"], f["model"])
    saved = json.loads(f["meta"].get("optimizer", "null")) or {}
    lr = first(args.learning_rate, saved.get("lr"), 2e-3)
    wd = first(args.weight_decay, saved.get("weight_decay"), 0.0)
    opt = make_optimizer(model, lr, wd, saved.get("betas", ADAM["betas"]),
                         saved.get("eps", ADAM["eps"]))
    if saved:
        restore_adam(model, opt, saved["step"], f["exp_avg"], f["exp_avg_sq"], args.checkpoint)
    return model, f["vocab"], opt, average, f["meta"]


def started(args, text, device):
    """A new model on the workbench's initialisation, its vocabulary from the text."""
    vocab = sorted(set(text))
    config = dict(cell=args.cell or "lstm", vocab_size=len(vocab),
                  hidden_size=args.hidden_size or 256, num_layers=args.num_layers or 2)
    config.update({k: first(getattr(args, k), v) for k, v in MODEL_DEFAULTS.items()})
    if config["dropout"] > 0 and config["num_layers"] < 2:
        raise ValueError("--dropout acts between layers: it needs --num-layers 2 or more")
    model = CharRNN(**config)
    model.reset_parameters(args.init_scale)
    model = model.to(device)
    average = WeightAverage(model, args.weight_average) if args.weight_average else None
    opt = make_optimizer(model, first(args.learning_rate, 2e-3), first(args.weight_decay, 0.0))
    return model, vocab, opt, average, {}


def first(*values):
    return next(v for v in values if v is not None)


def train(args):
    """Adam on B streams of a text per process (truncated BPTT, state carried across chunks)."""
    rank, world, device = start_processes(args)
    torch.manual_seed(args.seed)
    with open(args.text, encoding="utf-8-sig") as f:  # no BOM; \r\n read as \n
        text = f.read()
    model, vocab, opt, average, meta = prepare(args, text, device)
    torch.manual_seed(args.seed + rank)  # dropout and zoneout masks: each process its own
    model.train()
    ids = encode(vocab, text)
    T, B, S = args.seq_length, args.batch_size, world * args.batch_size
    n = (len(ids) - 1) // S  # characters per stream, as the workbench's BatchStream cuts them
    if n < T:
        raise ValueError(f"{args.text}: {len(ids)} characters are too few for {S} streams of "
                         f"{T + 1}; lower --batch-size or --seq-length")

    def streams(shift):  # S streams of n characters, (n, S) time-major; this process's B of them
        return ids[shift : shift + S * n].view(S, n).t()[:, rank * B : (rank + 1) * B].to(device)

    xs, ys = streams(0), streams(1)  # inputs and targets, (n, B)
    net = nn.parallel.DistributedDataParallel(model) if args.ddp else model  # syncs the weights
    workbench = json.loads(meta.get("workbench", "{}"))
    clip = first(args.clip, workbench.get("clip") if workbench.get("clipMode") == "norm" else None,
                 5.0)
    smooth = float(meta.get("smooth_loss", math.log(len(vocab))))
    pos = int(meta.get("position", 0))  # the run's place in its streams (same text, B, T)
    state, clock, shown = None, time.time(), 0
    for step in range(1, args.steps + 1):
        if pos + T > n:
            state, pos = None, 0  # an epoch is done: start the streams again
        logits, state = net(xs[pos : pos + T], state)
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), ys[pos : pos + T].reshape(-1))
        opt.zero_grad()
        loss.backward()  # under DDP the gradients are averaged over the processes here
        norm = clip_global_norm(model.parameters(), clip)
        opt.step()
        if average:
            average.update(model)
        state, pos = detach(state), pos + T
        smooth = 0.99 * smooth + 0.01 * loss.item()
        if step % args.print_every == 0 or step == args.steps:
            shown = report(step, args, loss, norm, opt, clock, shown, world)
            clock = time.time()
    if rank == 0:
        done = int(meta.get("step", 0)) + args.steps
        keep = {k: v for k, v in meta.items() if k not in ("optimizer", "average", "module")}
        save(args.out, model, vocab, {**keep, "source": "charrnn_torch.py train", "step": done,
                                      "corpus": args.text, "world_size": world,
                                      "smooth_loss": smooth, "position": pos}, opt, average)
        print(f"saved {args.out} (step {done}, {world} process{'es' if world > 1 else ''})")
    if args.ddp:
        dist.barrier()
        dist.destroy_process_group()


def report(step, args, loss, norm, opt, clock, last, world):
    """Prints a progress line (process 0; loss averaged over the processes) with its speed
    since the last line and the time left; returns this step."""
    shown = loss.detach().clone()
    if args.ddp:
        dist.all_reduce(shown)
        shown /= world
    if not args.ddp or dist.get_rank() == 0:
        speed = (step - last) * args.seq_length * args.batch_size * world / (time.time() - clock)
        left = (args.steps - step) * args.seq_length * args.batch_size * world / speed
        print(f"step {step}/{args.steps} | loss {shown.item():.4f} | grad norm {norm.item():.3f}"
              f" | lr {opt.param_groups[0]['lr']:.3g} | {speed:,.0f} chars/s | ETA {left:.0f} s",
              flush=True)
    return step


# ----- command line -----------------------------------------------------------------------


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def rate(text):
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a number >= 0 and < 1")
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
    t.add_argument("--norm", choices=["none", "layer"], help="new model: layer norm (default none)")
    t.add_argument("--zoneout", type=rate, help="new model: zoneout rate (default 0)")
    t.add_argument("--dropout", type=rate, help="new model: dropout (default 0)")
    t.add_argument("--dropout-mask", choices=["position", "sequence"],
                   help="new model: a dropout mask per position, or per chunk (variational)")
    t.add_argument("--weight-drop", type=rate, help="new model: DropConnect on W_hh (default 0)")
    t.add_argument("--init-scale", type=float, help="new model: std of the weights (1/sqrt(H))")
    t.add_argument("--weight-average", "--ema", type=rate,
                   help="new model: the weight average's beta (default 0: none; formerly --ema)")
    t.add_argument("--steps", type=positive, default=1000, help="optimizer steps (Adam)")
    t.add_argument("--seq-length", type=positive, default=64, help="T, characters per chunk")
    t.add_argument("--batch-size", type=positive, default=32, help="B, streams per process")
    t.add_argument("--learning-rate", type=float,
                   help="Adam's rate (default: the checkpoint's next one, else 2e-3)")
    t.add_argument("--weight-decay", type=float, help="of the weight matrices (default: the "
                   "checkpoint's, else 0)")
    t.add_argument("--clip", type=float, help="max global gradient norm (default: the run's, 5)")
    t.add_argument("--print-every", type=positive, default=100, help="steps between loss lines")
    t.add_argument("--seed", type=int, default=42, help="seed of new weights and of the masks")
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
    except (OSError, ValueError, RuntimeError, KeyError) as e:  # bad files or text: one line
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
