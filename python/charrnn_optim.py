"""Adam, clipping and the weight average as the workbench computes them, in PyTorch.

torch's AdamW already computes the workbench's update (lib/train/optim.ts):
    W *= 1 - lr wd                                 weight matrices only (decoupled decay)
    m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2
    w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
so it only needs the workbench's groups: the matrices decay; biases and layer-norm gains do not.
Moments are kept and written under the file's tensor names (CharRNN.file_tensors()).
"""

import torch

ADAM = dict(betas=[0.9, 0.999], eps=1e-8)  # the workbench's Adam


def make_optimizer(model, lr, weight_decay, betas=ADAM["betas"], eps=ADAM["eps"]):
    """torch's AdamW in the workbench's groups: the weight matrices decay (decoupled, W *= 1 -
    lr wd before the step), biases and layer-norm gains do not. Its update is the workbench's:
    m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, w -= lr (m / c1) / (sqrt(v / c2) + eps)."""
    params = model.file_tensors().values()
    groups = [dict(params=[p for p in params if p.dim() == 2], weight_decay=weight_decay),
              dict(params=[p for p in params if p.dim() != 2], weight_decay=0.0)]
    return torch.optim.AdamW(groups, lr=lr, betas=tuple(betas), eps=eps)


def restore_adam(model, opt, step, exp_avg, exp_avg_sq, what):
    """Puts the file's moments and step into the optimizer's state."""
    for name, p in model.file_tensors().items():
        if name not in exp_avg or name not in exp_avg_sq:
            raise ValueError(f"{what}: Adam's moments of {name!r} are missing")
        opt.state[p] = dict(step=torch.tensor(float(step)), exp_avg=exp_avg[name].to(p).clone(),
                            exp_avg_sq=exp_avg_sq[name].to(p).clone())


def adam_step(model, opt):
    """Adam's update count t (0 before the first update)."""
    states = [opt.state.get(p) for p in model.file_tensors().values()]
    return max((int(s["step"]) for s in states if s), default=0)


def adam_tensors(model, opt):
    """The moments as file tensors: optim.exp_avg.<name>, optim.exp_avg_sq.<name> (float32)."""
    out = {}
    for name, p in model.file_tensors().items():
        s = opt.state.get(p) or dict(exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
        out[f"optim.exp_avg.{name}"] = s["exp_avg"].float()
        out[f"optim.exp_avg_sq.{name}"] = s["exp_avg_sq"].float()
    return out


class WeightAverage:
    """The workbench's weight average (train/average.ts): after update n,
    avg = beta_n avg + (1 - beta_n) theta with beta_n = min(beta, 1 - 1/n)."""

    def __init__(self, model, beta, updates=0, values=None):
        self.beta, self.updates = beta, updates
        weights = model.file_tensors()
        self.values = {n: (values[n] if values else p).detach().to(p).clone()
                       for n, p in weights.items()}

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        beta = min(self.beta, 1 - 1 / self.updates)
        for name, p in model.file_tensors().items():
            avg = self.values[name]
            avg.add_((p - avg) * (1 - beta))


def clip_global_norm(params, limit):
    """The workbench's clipping: when the global L2 norm exceeds limit, scale by limit / norm."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    if norm > limit:
        for g in grads:
            g.mul_(limit / norm)
    return norm
