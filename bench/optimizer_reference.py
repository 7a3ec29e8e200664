"""Write tests/nn_core/fixtures/optimizer_reference.npz: torch.optim's parameters after each step.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/optimizer_reference.py

The tests check nn_core's optimizers against these numbers without needing torch. The problem is a
weight matrix W (5x4) and a bias b (4,) moved by a fixed sequence of gradients (seeded, of varied
size, so Adam's epsilon never dominates) over STEPS steps, with the learning rate changed after
step 4 as a schedule does between epochs. For each optimizer the file holds W and b after every
step. AdamW decays W but not b (a second parameter group), as nn_core decays weights only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

STEPS = 8
LRS = [0.01] * 4 + [0.003] * 4
MOMENTUM = 0.9
WEIGHT_DECAY = 0.1
OUT = Path(__file__).resolve().parents[1] / "tests" / "nn_core" / "fixtures" / "optimizer_reference.npz"


def _optimizers(w: torch.Tensor, b: torch.Tensor) -> dict[str, torch.optim.Optimizer]:
    lr = LRS[0]
    return {
        "sgd": torch.optim.SGD([w, b], lr=lr),
        "momentum": torch.optim.SGD([w, b], lr=lr, momentum=MOMENTUM),
        "nesterov": torch.optim.SGD([w, b], lr=lr, momentum=MOMENTUM, nesterov=True),
        "adam": torch.optim.Adam([w, b], lr=lr),
        "adamw": torch.optim.AdamW([{"params": [w], "weight_decay": WEIGHT_DECAY},
                                    {"params": [b], "weight_decay": 0.0}], lr=lr),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    w0 = rng.normal(size=(5, 4)).astype(np.float32)
    b0 = rng.normal(size=4).astype(np.float32)
    scales = np.float32(10.0) ** rng.integers(-3, 1, size=(STEPS, 1, 1))
    grads_w = (rng.normal(size=(STEPS, 5, 4)) * scales).astype(np.float32)
    grads_b = (rng.normal(size=(STEPS, 4)) * scales[:, 0]).astype(np.float32)
    out = {"w0": w0, "b0": b0, "grads_w": grads_w, "grads_b": grads_b, "lrs": np.array(LRS),
           "momentum": np.array(MOMENTUM), "weight_decay": np.array(WEIGHT_DECAY)}
    names = list(_optimizers(torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)))
    for name in names:
        w = torch.tensor(w0, requires_grad=True)
        b = torch.tensor(b0, requires_grad=True)
        opt = _optimizers(w, b)[name]
        ws, bs = [], []
        for t in range(STEPS):
            for group in opt.param_groups:
                group["lr"] = LRS[t]
            w.grad = torch.tensor(grads_w[t])
            b.grad = torch.tensor(grads_b[t])
            opt.step()
            ws.append(w.detach().numpy().copy())
            bs.append(b.detach().numpy().copy())
        out[f"{name}_w"] = np.stack(ws)
        out[f"{name}_b"] = np.stack(bs)
    out["torch_version"] = np.array(torch.__version__)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.output, **out)
    print(f"wrote {args.output} (torch {torch.__version__}; {', '.join(names)}; {STEPS} steps)")


if __name__ == "__main__":
    main()
