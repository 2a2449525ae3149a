#!/usr/bin/env python3
"""Writes test/fixtures/nir/ops/torch-ops.json: torch's conv1d, conv2d and avg_pool2d (and the sum pool,
avg_pool2d with divisor_override=1) on small random inputs for every form NIR's Conv1d, Conv2d,
SumPool2d and AvgPool2d nodes take (per-axis kernel, stride, padding incl. 'same'/'valid', dilation,
groups; pool padding with count_include_pad=True, as snnTorch's and Norse's NIR import build
torch.nn.AvgPool2d), with the gradients of sum(y * gy) in the input, weight and bias.

  /usr/bin/python3 tools/nir-ops-fixtures.py     (torch >= 1.9; the committed file came from torch 1.13)
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(17)
torch.set_default_dtype(torch.float64)

CONV = [
    # kind, C, O, input size, kernel, stride, padding, dilation, groups
    ("conv1d", 2, 4, (9,), (3,), 2, 1, 2, 2),
    ("conv1d", 3, 2, (8,), (4,), 1, "same", 1, 1),
    ("conv1d", 2, 3, (7,), (3,), 1, "valid", 1, 1),
    ("conv2d", 2, 3, (7, 6), (3, 3), 1, 1, 1, 1),  # the fast kernels' form
    ("conv2d", 2, 3, (7, 8), (3, 2), (2, 1), (1, 0), (1, 2), 1),
    ("conv2d", 4, 6, (5, 5), (3, 3), 1, 1, 1, 2),
    ("conv2d", 3, 3, (6, 5), (2, 3), 2, (0, 1), 1, 3),
    ("conv2d", 2, 2, (6, 7), (4, 2), 1, "same", (1, 2), 1),
    ("conv2d", 2, 2, (6, 6), (3, 3), 1, "same", 1, 1),
    ("conv2d", 1, 2, (8, 7), (3, 3), 2, "valid", 1, 1),
]
POOL = [
    # kind, C, input size, kernel, stride, padding
    ("avg_pool2d", 2, (6, 6), (2, 2), (2, 2), (0, 0)),  # the fast kernels' form
    ("avg_pool2d", 2, (7, 6), (2, 3), (2, 1), (1, 1)),
    ("avg_pool2d", 3, (5, 5), (3, 3), (2, 2), (1, 1)),
    ("sum_pool2d", 2, (6, 7), (3, 2), (1, 2), (1, 0)),
    ("sum_pool2d", 1, (4, 4), (2, 2), (2, 2), (0, 0)),
]


def flat(t):
    return [float(f"{v:.9g}") for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def f32(shape):
    return torch.randn(*shape).to(torch.float32).to(torch.float64).requires_grad_(True)


cases = []
N = 2
for kind, C, O, size, k, stride, padding, dilation, groups in CONV:
    x = f32((N, C, *size))
    w = f32((O, C // groups, *k))
    b = f32((O,))
    fn = F.conv1d if kind == "conv1d" else F.conv2d
    y = fn(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    gy = torch.randn(*y.shape).to(torch.float32).to(torch.float64)
    (y * gy).sum().backward()
    cases.append({
        "kind": kind, "stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
        "x": flat(x), "xShape": list(x.shape), "w": flat(w), "wShape": list(w.shape), "b": flat(b),
        "y": flat(y), "yShape": list(y.shape), "gy": flat(gy), "gx": flat(x.grad), "gw": flat(w.grad), "gb": flat(b.grad),
    })
for kind, C, size, k, stride, padding in POOL:
    x = f32((N, C, *size))
    extra = {"divisor_override": 1} if kind == "sum_pool2d" else {}
    y = F.avg_pool2d(x, k, stride=stride, padding=padding, count_include_pad=True, **extra)
    gy = torch.randn(*y.shape).to(torch.float32).to(torch.float64)
    (y * gy).sum().backward()
    cases.append({
        "kind": kind, "kernel": list(k), "stride": list(stride), "padding": list(padding),
        "x": flat(x), "xShape": list(x.shape), "y": flat(y), "yShape": list(y.shape), "gy": flat(gy), "gx": flat(x.grad),
    })

out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "nir", "ops", "torch-ops.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "note": "written by tools/nir-ops-fixtures.py (float64 torch on float32 inputs)", "cases": cases}, f)
print(f"{len(cases)} cases -> {os.path.normpath(out)}")
