"""The workbench's char-RNN as PyTorch modules: every cell `deno task train` trains.

    one-hot x_t -> L recurrent layers -> dropout -> nn.Linear(H, V) `decoder` -> logits

A plain model (no layer norm, no zoneout, per-position dropout, no DropConnect) runs on
`nn.RNN` / `nn.LSTM` / `nn.GRU`. Every other runs on `Recurrent`, the same equations as the
workbench's `lib/model/layer.ts`, written out step by step:

    AX = X W_ih^T + b_ih                     input side, all T steps in one product
    AH_t = h_{t-1} W_hh^T + b_hh             hidden side, one product per step
    with layer norm (Ba et al. 2016), each side is normalised per gate block of H instead:
    AX = LN(X W_ih^T) * ln_ih.weight + ln_ih.bias,  AH_t = LN(h_{t-1} W_hh^T) * ln_hh.weight
        + ln_hh.bias,   LN(a) = (a - mean(a)) / sqrt(var(a) + 1e-5), over each block of H
    rnn   h~ = tanh(AX_t + AH_t)
    lstm  i, f, g, o = sigma, sigma, tanh, sigma of AX_t + AH_t  (PyTorch's gate order)
          c~ = f c_{t-1} + i g,  h~ = o tanh(c~)
    gru   r, z = sigma(AX_t + AH_t) (r, z blocks),  n = tanh(AX_n + r AH_n)
          h~ = (1 - z) n + z h_{t-1}
    zoneout z (Krueger et al. 2016): h_t = m h_{t-1} + (1 - m) h~ (and c_t alike), m a fresh
          Bernoulli(z) mask per position in training, m = z in evaluation
    DropConnect w (training): each forward runs on W_hh * M, M ~ Bernoulli(1 - w) / (1 - w)

Dropout acts on each layer's output (between layers and before the decoder), per position or,
as variational dropout ("sequence"), with one (B, H) mask per forward call.

The hidden-side bias is the workbench's `bhn` in a GRU's n block and nothing else: the r, z
blocks (and all of it in rnn and lstm) add to the input side's bias, so their gradients are
held at zero and they stay as loaded (zero in exported files). Training then moves the same
parameters as the workbench does.

Legend: T = sequence length, B = batch size, V = vocabulary, H = hidden size, L = layers,
G = gate blocks (rnn 1, lstm 4, gru 3), R = G*H, I = input size of a layer (V, then H).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
LN_EPS = 1e-5  # the workbench's LAYER_NORM_EPS


def block_norm(a, H, weight, bias):
    """Layer norm of each block of H in the last dimension (R), then gain and bias (R)."""
    xhat = F.layer_norm(a.reshape(-1, H), [H], eps=LN_EPS).reshape(a.shape)  # biased variance
    return torch.addcmul(bias, xhat, weight)


class _Gather(torch.autograd.Function):
    """W, passed on to the steps' products; its gradient is theirs in one product:
    dW = sum over t of dA_t^T h_{t-1} = dA^T H_prev, (T B, R)^T x (T B, H), not T small ones."""

    @staticmethod
    def forward(ctx, W, store):
        ctx.store = store
        ctx.set_materialize_grads(False)  # the steps send no gradient here: they store theirs
        return W.view_as(W)

    @staticmethod
    def backward(ctx, _):
        dA = torch.cat([d for d, _ in ctx.store])  # (T B, R)
        h = torch.cat([h for _, h in ctx.store])  # (T B, H)
        ctx.store.clear()
        return dA.t().mm(h), None


class _Product(torch.autograd.Function):
    """h W^T of one step; backward gives dh = dA W and leaves (dA, h) for _Gather."""

    @staticmethod
    def forward(ctx, h, W, store):
        ctx.save_for_backward(h, W)
        ctx.store = store
        return h.mm(W.t())

    @staticmethod
    def backward(ctx, dA):
        h, W = ctx.saved_tensors
        ctx.store.append((dA, h))
        return dA.mm(W), None, None


def recurrence(ax, h, c, W_hh, hw, hb, cell, norm, zh, zc):
    """T steps of one layer from the input side ax (T, B, R) and the state h, c (B, H).

    W_hh (R, H); hw, hb (R): the hidden side's norm gain and bias (norm), or hb its bias;
    cell "rnn", "lstm" or "gru"; zh, zc: zoneout masks (T, B, H) or rates (T, 1, 1) of h, c,
    or None. Returns the outputs (T, B, H) and the last h, c.
    """
    H, store = h.shape[1], []
    W = _Gather.apply(W_hh, store)
    outs = []
    for t, a in enumerate(ax.unbind(0)):  # one backward for all steps (not T of ax[t])
        ah = _Product.apply(h, W, store)  # (B, R)
        ah = block_norm(ah, H, hw, hb) if norm else ah + hb
        cn = c
        if cell == "rnn":
            hn = torch.tanh(a + ah)
        elif cell == "lstm":
            i, f, g, o = (a + ah).chunk(4, 1)
            cn = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)  # c~ = f c + i g
            hn = torch.sigmoid(o) * torch.tanh(cn)  # h~ = o tanh(c~)
        else:
            ar, az, an = a.chunk(3, 1)
            hr, hz, hh = ah.chunk(3, 1)
            r, z = torch.sigmoid(ar + hr), torch.sigmoid(az + hz)
            n = torch.tanh(an + r * hh)
            hn = (1 - z) * n + z * h
        if zh is not None:  # s = m s_{t-1} + (1 - m) s~
            hn = hn + zh[t] * (h - hn)
            if cell == "lstm":
                cn = cn + zc[t] * (c - cn)
        h, c = hn, cn
        outs.append(h)
    return torch.stack(outs), h, c


def dropout(x, p, sequence, training):
    """Inverted dropout of x (T, B, H): per position, or one (B, H) mask for all T steps."""
    if not training or p == 0:
        return x
    if not sequence:
        return F.dropout(x, p, True)
    return x * F.dropout(x.new_ones(1, x.shape[1], x.shape[2]), p, True)


class BlockNorm(nn.Module):
    """The gain `weight` (R) and bias `bias` (R) of a layer norm per gate block of H."""

    def __init__(self, gates, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.weight = nn.Parameter(torch.ones(gates * hidden_size))
        self.bias = nn.Parameter(torch.zeros(gates * hidden_size))

    def forward(self, a):
        return block_norm(a, self.hidden_size, self.weight, self.bias)


class Recurrent(nn.Module):
    """L layers of the workbench's cell (see the module doc); state as nn.RNN/LSTM/GRU's.

    Parameters, per layer k: weight_ih_l<k> (R, I), weight_hh_l<k> (R, H), then bias_ih_l<k>,
    bias_hh_l<k> (R) or, with layer norm, ln_ih_l<k>.weight/.bias and ln_hh_l<k>.weight/.bias
    (R). Input: character indices (T, B); the first layer's x W_ih^T is a row lookup.
    """

    def __init__(self, cell, vocab_size, hidden_size, num_layers=1, dropout=0.0,
                 dropout_mask="position", weight_drop=0.0, norm="none", zoneout=0.0):
        super().__init__()
        G, H = GATES[cell], hidden_size
        self.cell, self.hidden_size, self.num_layers = cell, H, num_layers
        self.norm, self.zoneout, self.weight_drop = norm == "layer", zoneout, weight_drop
        self.dropout, self.sequence = dropout, dropout_mask == "sequence"
        for k in range(num_layers):
            inputs = vocab_size if k == 0 else H
            setattr(self, f"weight_ih_l{k}", nn.Parameter(torch.zeros(G * H, inputs)))
            setattr(self, f"weight_hh_l{k}", nn.Parameter(torch.zeros(G * H, H)))
            if self.norm:
                setattr(self, f"ln_ih_l{k}", BlockNorm(G, H))
                setattr(self, f"ln_hh_l{k}", BlockNorm(G, H))
            else:
                setattr(self, f"bias_ih_l{k}", nn.Parameter(torch.zeros(G * H)))
                setattr(self, f"bias_hh_l{k}", nn.Parameter(torch.zeros(G * H)))

    def forward(self, ids, state=None):
        """ids (T, B) -> outputs (T, B, H) of the top layer, state h (L, B, H) (and c)."""
        T, B = ids.shape
        L, H, lstm = self.num_layers, self.hidden_size, self.cell == "lstm"
        W = self.weight_ih_l0
        if state is None:
            zeros = W.new_zeros(L, B, H)
            state = (zeros, zeros) if lstm else zeros
        h0, c0 = state if lstm else (state, state)
        x, hs, cs = ids, [], []
        for k in range(L):
            ax, hw, hb, W_hh = self._sides(k, x)
            zh = zc = W.new_full((T, 1, 1), self.zoneout) if self.zoneout > 0 else None
            if self.training and self.zoneout > 0:  # keep the previous value where m = 1
                zh, zc = (torch.bernoulli(W.new_full((T, B, H), self.zoneout)) for _ in "hc")
            x, h, c = recurrence(ax, h0[k], c0[k], W_hh, hw, hb, self.cell, self.norm, zh, zc)
            hs.append(h)
            cs.append(c)
            if k < L - 1:
                x = dropout(x, self.dropout, self.sequence, self.training)
        h = torch.stack(hs)
        return x, ((h, torch.stack(cs)) if lstm else h)

    def _sides(self, k, x):
        """Layer k's input side AX (T, B, R), the hidden side's gain and bias, and W_hh."""
        W_ih, W_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
        if self.training and self.weight_drop > 0:  # DropConnect: one mask per forward
            W_hh = F.dropout(W_hh, self.weight_drop, True)
        ax = F.embedding(x, W_ih.t()) if k == 0 else x @ W_ih.t()  # (T, B, R)
        if self.norm:
            ln_ih, ln_hh = getattr(self, f"ln_ih_l{k}"), getattr(self, f"ln_hh_l{k}")
            return ln_ih(ax), ln_hh.weight, ln_hh.bias, W_hh
        hb = getattr(self, f"bias_hh_l{k}")
        return ax + getattr(self, f"bias_ih_l{k}"), hb, hb, W_hh


class CharRNN(nn.Module):
    """Character indices -> L recurrent layers -> dropout -> linear decoder to V logits."""

    def __init__(self, cell, vocab_size, hidden_size, num_layers=1, dropout=0.0,
                 dropout_mask="position", weight_drop=0.0, norm="none", zoneout=0.0):
        super().__init__()
        self.config = dict(cell=cell, vocab_size=vocab_size, hidden_size=hidden_size,
                           num_layers=num_layers, dropout=dropout, dropout_mask=dropout_mask,
                           weight_drop=weight_drop, norm=norm, zoneout=zoneout)
        if is_plain(self.config):
            between = dropout if num_layers > 1 else 0.0
            self.rnn = CELLS[cell](vocab_size, hidden_size, num_layers, dropout=between)
        else:
            self.rnn = Recurrent(**self.config)
        self.decoder = nn.Linear(hidden_size, vocab_size)
        mask = hidden_bias_mask(cell, hidden_size)
        for name, p in self.rnn.named_parameters():
            if name.startswith(("bias_hh_l", "ln_hh_l")) and not name.endswith(".weight"):
                p.register_hook(lambda g, m=mask: g * m.to(g))

    def forward(self, ids, state=None):
        """ids (T, B) character indices -> logits (T, B, V) and the state after step T."""
        if isinstance(self.rnn, Recurrent):
            out, state = self.rnn(ids, state)
        else:
            x = F.one_hot(ids, self.config["vocab_size"]).to(self.decoder.weight.dtype)
            out, state = self.rnn(x, state)  # (T, B, H)
        c = self.config
        out = dropout(out, c["dropout"], c["dropout_mask"] == "sequence", self.training)
        return self.decoder(out), state

    def file_tensors(self):
        """{name in the file: parameter}: the recurrent module's names, and decoder.*."""
        return {name.removeprefix("rnn."): p for name, p in self.named_parameters()}

    def reset_parameters(self, scale=None):
        """The workbench's initialisation: N(0, scale^2) weights (default 1/sqrt(H)), zero
        biases but an LSTM's forget-gate bias 1, layer-norm gains 1."""
        H = self.config["hidden_size"]
        scale = 1 / math.sqrt(H) if not scale else scale
        with torch.no_grad():
            for name, p in self.file_tensors().items():
                if p.dim() == 2:
                    p.normal_(0, scale)
                else:
                    p.fill_(1.0 if name.startswith("ln_") and name.endswith(".weight") else 0.0)
                input_bias = name.startswith("bias_ih_l") or name.startswith("ln_ih_l") \
                    and name.endswith(".bias")
                if self.config["cell"] == "lstm" and input_bias:
                    p[H:2 * H] = 1.0  # forget gate (block 1 of i, f, g, o)


def is_plain(config):
    """Whether nn.RNN/nn.LSTM/nn.GRU runs this config (same parameter names either way)."""
    return (config["norm"] == "none" and config["zoneout"] == 0 and config["weight_drop"] == 0
            and config["dropout_mask"] == "position")


def hidden_bias_mask(cell, H):
    """(R) 1 where the hidden-side bias trains: a GRU's n block; nowhere in rnn and lstm."""
    mask = torch.zeros(GATES[cell] * H)
    if cell == "gru":
        mask[2 * H:] = 1
    return mask


def describe(config):
    """The modules of a config, e.g. `nn.GRU(65, 256, num_layers=1) + nn.Linear(256, 65)`."""
    V, H, L, p = (config[k] for k in ("vocab_size", "hidden_size", "num_layers", "dropout"))
    extra = f", dropout={p}" if p > 0 else ""
    if not is_plain(config):
        extra += "".join(f", {k}={config[k]}" for k, none in (
            ("norm", "none"), ("zoneout", 0), ("dropout_mask", "position"), ("weight_drop", 0))
            if config[k] != none)
        return f"Recurrent({config['cell']}, {V}, {H}, num_layers={L}{extra}) + nn.Linear({H}, {V})"
    return f"nn.{CELLS[config['cell']].__name__}({V}, {H}, num_layers={L}{extra}) + nn.Linear({H}, {V})"
