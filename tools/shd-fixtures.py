"""Writes test/fixtures/shd: tiny files in the exact layout of the Spiking Heidelberg Digits (Cramer et
al. 2020) HDF5 files, for the SHD reader's tests.

Layout (as in shd_train.h5 / shd_test.h5):
  spikes/times   (N,) variable-length float16 arrays, seconds
  spikes/units   (N,) variable-length uint16 arrays, channel 0..699
  labels         (N,) uint16, 0..19
  extra/speaker  (N,) uint16
  extra/keys     (20,) strings (class names)
  extra/meta_info/{gender, age, body_height}  per-speaker arrays

Files: shd_train.h5 (16 samples) and shd_test.h5 (8), classes 0..3 whose spikes sit on channel bands
of their own (so a small recurrent net can learn them); shd_f32.h5 (float32 times, 3 samples);
shd_bad_units.h5 (a unit of 700); expected.json (per file: count, sums of the float16-rounded times and
of the units, labels) for the exact-decoding test. Deterministic (numpy Generator, seed 18).

Run with Debian's python3-h5py: /usr/bin/python3 tools/shd-fixtures.py
"""

import json
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "shd")
KEYS = [f"{lang}-{d}" for lang in ("german", "english") for d in range(10)]
rng = np.random.default_rng(18)


def sample(label, dtype):
    n = int(rng.integers(120, 220))
    band = 100 + 150 * label
    units = np.clip(band + rng.normal(0, 25, n), 0, 699).astype(np.uint16)
    times = np.sort(rng.uniform(0.0, 1.0, n) + 0.1 * label).astype(dtype)
    return times, units


def write(name, labels, dtype=np.float16, bad_unit=False):
    path = os.path.join(OUT, name)
    times, units = zip(*(sample(int(y), dtype) for y in labels))
    units = list(units)
    if bad_unit:
        units[0] = units[0].copy()
        units[0][3] = 700
    with h5py.File(path, "w") as f:
        sp = f.create_group("spikes")
        sp.create_dataset("times", data=np.array(times, dtype=object), dtype=h5py.vlen_dtype(np.dtype(dtype)))
        sp.create_dataset("units", data=np.array(units, dtype=object), dtype=h5py.vlen_dtype(np.dtype(np.uint16)))
        f.create_dataset("labels", data=np.asarray(labels, dtype=np.uint16))
        ex = f.create_group("extra")
        ex.create_dataset("speaker", data=rng.integers(0, 12, len(labels)).astype(np.uint16))
        ex.create_dataset("keys", data=np.array(KEYS, dtype=object), dtype=h5py.string_dtype())
        mi = ex.create_group("meta_info")
        mi.create_dataset("gender", data=np.array(["female", "male"] * 6, dtype=object), dtype=h5py.string_dtype())
        mi.create_dataset("age", data=rng.integers(20, 60, 12).astype(np.uint16))
        mi.create_dataset("body_height", data=rng.integers(150, 200, 12).astype(np.uint16))
    return {
        "count": int(sum(len(t) for t in times)),
        "timesSum": float(sum(float(np.sum(t.astype(np.float64))) for t in times)),
        "unitsSum": int(sum(int(np.sum(u.astype(np.int64))) for u in units)),
        "firstTimes": [float(x) for x in times[0][:5].astype(np.float64)],
        "labels": [int(y) for y in labels],
    }


os.makedirs(OUT, exist_ok=True)
expected = {
    "shd_train.h5": write("shd_train.h5", [i % 4 for i in range(16)]),
    "shd_test.h5": write("shd_test.h5", [i % 4 for i in range(8)]),
    "shd_f32.h5": write("shd_f32.h5", [3, 0, 19], dtype=np.float32),
    "shd_bad_units.h5": write("shd_bad_units.h5", [1, 2], bad_unit=True),
}
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print(f"wrote {len(expected)} files to {os.path.normpath(OUT)}")
