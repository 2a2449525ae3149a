#!/usr/bin/env python3
"""Regenerate spikeflow's event-data fixtures from Tonic's own code.

Writes
  test/fixtures/tonic/transforms.json  inputs (small event sets) and Tonic's outputs for its transforms
  test/fixtures/events/*               small event files in every format spikeflow reads, and
  test/fixtures/events/expected.json   the events each must decode to

Tonic is not vendored: TONIC_SRC is an extracted copy of the public repository neuromorphs/tonic
(``$TONIC_SRC/tonic/io.py``; the fixtures were made at commit d0cb6df3ebfba018b9aac6d55f63576b46489609,
e.g. ``git --git-dir=<mirror> archive HEAD | tar -x -C /tmp/tonic``). numpy comes from Debian
(python3-numpy); the lz4 and zstd command-line tools (Debian packages lz4, zstd) compress and
decompress AEDAT 4 packets. SAMPLES is Tonic's test data folder (sample_nmnist.bin, sample.aedat4,
sample_aedat_header.aedat, sample_ncars.dat) and NMNIST_SMALL a folder with SLAYER's N-MNIST .bs2 files.

    TONIC_SRC=/tmp/tonic SAMPLES=../shared/datasets/tonic-samples NMNIST_SMALL=../shared/datasets/nmnist-small \\
        /usr/bin/python3 tools/tonic-fixtures.py

Import stub: tonic/__init__.py imports pbr (for its version string) and every dataset module (h5py,
...), none of which is installed or needed. The script puts an empty package module named "tonic",
whose __path__ is $TONIC_SRC/tonic, into sys.modules, so that ``import tonic.io``, ``tonic.transforms``
and ``tonic.functional`` run those files unchanged without running the package's __init__.

Where the expected values come from:
  - N-MNIST .bin/.bs2: tonic.io.read_mnist_file.
  - AEDAT 2.0 (DVS128 'dvs128-tonic' layout) and AEDAT 3.1 (DVS Gesture): tonic.io.read_aedat_header_from_file
    and tonic.io.get_aer_events_from_file, then the bit formulas of read_dvs_128 / read_dvs_ibm applied
    here: both functions fail at this commit ("too many values to unpack": the header reader returns
    three values). AEDAT 2.0 DAVIS346: tonic.io.read_davis_346, less the rows with address bit 31 set
    (APS/IMU samples, which spikeflow skips). The jAER 'dvs128' layout: jAER's DVS128 extractor formula.
  - DVS Gesture .npy: the two lines of tonic.datasets.DVSGesture.__getitem__ (t * 1000, then
    unstructured_to_structured with its dtype), repeated here (the dataset class needs the download).
  - Prophesee .dat, EVT 2.0 .raw, AEDAT 4: Tonic has no reader of its own for these at this commit
    (AEDAT 4 goes through the external `aedat` package); the expected events are decoded by this
    script (Prophesee's documented layouts; AEDAT 4 packets through the lz4/zstd tools and a flatbuffer
    walk) or are the events the script encoded.
Every random choice uses numpy's Generator seeded with 7, in a fixed order, so the output is the same
on every run.
"""

import json
import os
import struct
import subprocess
import sys
import types

import numpy as np
from numpy.lib import recfunctions

TONIC_SRC = os.environ.get("TONIC_SRC")
if not TONIC_SRC:
    sys.exit("set TONIC_SRC to an extracted copy of the tonic repository ($TONIC_SRC/tonic/io.py)")
_pkg = types.ModuleType("tonic")
_pkg.__path__ = [os.path.join(TONIC_SRC, "tonic")]
sys.modules["tonic"] = _pkg
import tonic.io as tio  # noqa: E402
import tonic.transforms as T  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.environ.get("SAMPLES", os.path.join(ROOT, "..", "shared", "datasets", "tonic-samples"))
NMNIST_SMALL = os.environ.get("NMNIST_SMALL", os.path.join(ROOT, "..", "shared", "datasets", "nmnist-small"))
OUT_T = os.path.join(ROOT, "test", "fixtures", "tonic")
OUT_E = os.path.join(ROOT, "test", "fixtures", "events")
RNG = np.random.default_rng(7)
DT = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])  # N-MNIST's dtype in Tonic


def sample(name):
    return os.path.join(SAMPLES, name)


def ev_json(ev, sensor_size=None):
    out = {k: [int(v) for v in ev[k]] for k in ("x", "y", "p", "t")}
    if sensor_size is not None:
        out["sensor_size"] = [int(v) for v in sensor_size]
    return out


def make_events(x, y, p, t):
    ev = np.zeros(len(t), dtype=DT)
    ev["x"], ev["y"], ev["p"], ev["t"] = x, y, p, t
    return ev


# ---------------------------------------------------------------- decoders of formats Tonic cannot read


def read_dat(data):
    """Prophesee .dat: '% ' header lines, type and size bytes, then (u32 t, u32 x|y<<14|p<<28)."""
    pos = 0
    while data[pos:pos + 1] == b"%":
        pos = data.index(b"\n", pos) + 1
    pos += 2
    raw = np.frombuffer(data[pos:], dtype="<u4").reshape(-1, 2)
    return make_events(raw[:, 1] & 0x3FFF, (raw[:, 1] >> 14) & 0x3FFF, raw[:, 1] >> 28, raw[:, 0]), pos


def fb_root(buf):
    root = struct.unpack_from("<I", buf, 0)[0]
    vt = root - struct.unpack_from("<i", buf, root)[0]
    vt_size = struct.unpack_from("<H", buf, vt)[0]

    def field(k):
        if 4 + 2 * k >= vt_size:
            return None
        off = struct.unpack_from("<H", buf, vt + 4 + 2 * k)[0]
        return root + off if off else None

    return field


def tool(cmd, data):
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout


def aedat4_packets(data):
    """(header bytes span, dtp field position, list of (offset, stream id, payload)) of an AEDAT 4 file."""
    assert data[:14] == b"#!AER-DAT4.0\r\n"
    hlen = struct.unpack_from("<I", data, 14)[0]
    header = data[18:18 + hlen]
    field = fb_root(header)
    dtp_pos = field(1)
    dtp = struct.unpack_from("<q", header, dtp_pos)[0]
    pos, packets = 18 + hlen, []
    while pos < (dtp if dtp >= 0 else len(data)):
        sid, size = struct.unpack_from("<ii", data, pos)
        packets.append((pos, sid, data[pos + 8:pos + 8 + size]))
        pos += 8 + size
    return hlen, 18 + dtp_pos, packets


def event_packet_events(fb):
    """The events of an EventPacket flatbuffer (after the size prefix): 16-byte (i64 t, i16 x, i16 y, bool on)."""
    field = fb_root(fb)
    at = field(0)
    vec = at + struct.unpack_from("<I", fb, at)[0]
    n = struct.unpack_from("<I", fb, vec)[0]
    rec = np.frombuffer(fb, dtype=np.dtype([("t", "<i8"), ("x", "<i2"), ("y", "<i2"), ("on", "u1"), ("pad", "V3")]), count=n, offset=vec + 4)
    return make_events(rec["x"], rec["y"], rec["on"], rec["t"])


def decompress(kind, payload):
    if kind == "LZ4":
        return tool(["lz4", "-d", "-c"], payload)
    if kind == "ZSTD":
        return tool(["zstd", "-d", "-c", "-q"], payload)
    return payload


# ---------------------------------------------------------------- encoders (flatbuffers by hand)


def fb_build(ident, fields):
    """A flatbuffer with one root table. fields[k]: ('i32', v) | ('i64', v) | ('str', s) | ('structs', bytes, n)."""
    n = len(fields)
    vt_pos = 8
    vt_size = 4 + 2 * n
    table = (vt_pos + vt_size + 7) // 8 * 8
    tsize = 8 + 8 * n
    buf = bytearray(table + tsize)
    struct.pack_into("<I", buf, 0, table)
    buf[4:8] = ident.encode()
    struct.pack_into("<HH", buf, vt_pos, vt_size, tsize)
    struct.pack_into("<i", buf, table, table - vt_pos)
    for k, f in enumerate(fields):
        fpos = table + 8 + 8 * k
        struct.pack_into("<H", buf, vt_pos + 4 + 2 * k, fpos - table)
        if f[0] == "i32":
            struct.pack_into("<i", buf, fpos, f[1])
        elif f[0] == "i64":
            struct.pack_into("<q", buf, fpos, f[1])
        else:
            body = f[1].encode() + b"\0" if f[0] == "str" else f[1]
            count = len(f[1].encode()) if f[0] == "str" else f[2]
            while len(buf) % 8 != 4:
                buf.append(0)
            struct.pack_into("<I", buf, fpos, len(buf) - fpos)
            buf += struct.pack("<I", count) + body
            while len(buf) % 8:
                buf.append(0)
    return bytes(buf)


def event_packet(ev):
    rec = b"".join(struct.pack("<qhh?3x", int(t), int(x), int(y), bool(p)) for x, y, p, t in zip(ev["x"], ev["y"], ev["p"], ev["t"]))
    fb = fb_build("EVTS", [("structs", rec, len(ev))])
    return struct.pack("<I", len(fb)) + fb


INFO_XML = """<dv version="2.0">
    <node name="outInfo" path="/mainloop/Recorder/outInfo/">
        <node name="0" path="/mainloop/Recorder/outInfo/0/">
            <attr key="compression" type="string">{c}</attr>
            <attr key="originalOutputName" type="string">events</attr>
            <attr key="typeIdentifier" type="string">EVTS</attr>
            <node name="info" path="/mainloop/Recorder/outInfo/0/info/">
                <attr key="sizeX" type="int">320</attr>
                <attr key="sizeY" type="int">240</attr>
            </node>
        </node>
        <node name="1" path="/mainloop/Recorder/outInfo/1/">
            <attr key="originalOutputName" type="string">frames</attr>
            <attr key="typeIdentifier" type="string">FRME</attr>
        </node>
        <node name="2" path="/mainloop/Recorder/outInfo/2/">
            <attr key="originalOutputName" type="string">imu</attr>
            <attr key="typeIdentifier" type="string">IMUS</attr>
        </node>
    </node>
</dv>
"""


def aedat4_file(ev, kind, chunks):
    """A synthetic AEDAT 4 file: the events in packets of the given sizes on stream 0, a frame and an
    IMU packet of filler bytes on streams 1 and 2, a data table (filler) at the end."""
    code = {"NONE": 0, "LZ4": 1, "ZSTD": 3}[kind]
    comp = {
        "NONE": lambda b: b,
        "LZ4": lambda b: tool(["lz4", "-BD", "-BX", "-B4", "--content-size", "-c", "-q"], b),
        "ZSTD": lambda b: tool(["zstd", "-19", "-c", "-q"], b),
    }[kind]
    body = bytearray()
    start = 0
    for k, size in enumerate(chunks):
        payload = comp(event_packet(ev[start:start + size]))
        start += size
        body += struct.pack("<ii", 0, len(payload)) + payload
        if k == 0:
            filler = comp(bytes(range(200)))
            body += struct.pack("<ii", 1, len(filler)) + filler + struct.pack("<ii", 2, len(filler)) + filler
    assert start == len(ev)

    def header(dtp):
        fb = fb_build("IOHE", [("i32", code), ("i64", dtp), ("str", INFO_XML.format(c=kind))])
        return b"#!AER-DAT4.0\r\n" + struct.pack("<I", len(fb)) + fb

    dtp = len(header(0)) + len(body)
    return header(dtp) + bytes(body) + b"TABLE" * 5


# ---------------------------------------------------------------- reader fixtures


def reader_fixtures():
    os.makedirs(OUT_E, exist_ok=True)
    expected = {}

    def put(name, data, ev, sensor, **extra):
        with open(os.path.join(OUT_E, name), "wb") as f:
            f.write(data)
        expected[name] = {**ev_json(ev, sensor), **extra}

    # N-MNIST: the first 300 records, read by Tonic
    raw = open(sample("sample_nmnist.bin"), "rb").read()
    put("nmnist_cut.bin", raw[:1500], tio.read_mnist_file(__import__("io").BytesIO(raw[:1500]), DT, is_stream=True), [34, 34, 2])
    # SLAYER .bs2 with two overflow markers (y = 240) inserted, read by Tonic
    bs2 = bytearray(open(os.path.join(NMNIST_SMALL, "1.bs2"), "rb").read()[:1000])
    for at in (140 * 5, 60 * 5):
        bs2[at:at] = bytes([0, 240, 0, 0, 0])
    bs2 = bytes(bs2)
    put("nmnist_overflow.bs2", bs2, tio.read_mnist_file(__import__("io").BytesIO(bs2), DT, is_stream=True), [34, 34, 2])

    # Prophesee .dat: header and the first 300 events of the N-CARS sample
    dat = open(sample("sample_ncars.dat"), "rb").read()
    ev, pos = read_dat(dat)
    put("ncars_cut.dat", dat[:pos + 300 * 8], ev[:300], [304, 240, 2])

    # EVT 2.0 .raw re-encoding of those events (+ a trigger and an OTHERS word, skipped)
    words, high = [], -1
    for k, e in enumerate(ev[:300]):
        if int(e["t"]) >> 6 != high:
            high = int(e["t"]) >> 6
            words.append((0x8 << 28) | high)
        words.append((int(e["p"]) << 28) | ((int(e["t"]) & 63) << 22) | (int(e["x"]) << 11) | int(e["y"]))
        if k == 100:
            words += [(0xA << 28) | 5, (0xE << 28) | 7]
    hdr = b"% evt 2.0\n% format EVT2;height=240;width=304\n% end\n"
    put("ncars.raw", hdr + struct.pack(f"<{len(words)}I", *words), ev[:300], [304, 240, 2])

    # AEDAT 4: the real header (dataTablePosition set to -1) and the first 4 real LZ4 packets
    a4 = open(sample("sample.aedat4"), "rb").read()
    hlen, dtp_at, packets = aedat4_packets(a4)
    end = packets[4][0]
    cut = bytearray(a4[:end])
    struct.pack_into("<q", cut, dtp_at, -1)
    evs = [event_packet_events(decompress("LZ4", p)[4:]) for _, sid, p in packets[:4] if sid == 0]
    put("aedat4_lz4_cut.aedat4", bytes(cut), np.concatenate(evs), [320, 240, 2])
    # synthetic AEDAT 4 files of 300 real events (from packet 10 on) in three compressions
    mid = np.concatenate([event_packet_events(decompress("LZ4", p)[4:]) for _, sid, p in packets[10:16] if sid == 0])[:300]
    for kind in ("NONE", "LZ4", "ZSTD"):
        data = aedat4_file(mid, kind, [120, 100, 80])
        _, _, pk = aedat4_packets(data)  # decode back independently: the tools, then the flatbuffer walk
        back = np.concatenate([event_packet_events(decompress(kind, p)[4:]) for _, sid, p in pk if sid == 0])
        put(f"aedat4_{kind.lower()}.aedat4", data, back, [320, 240, 2])

    # AEDAT 2.0 DVS128: the real jAER header and synthetic jAER DVS128 addresses (3 special events)
    head = open(sample("sample_aedat_header.aedat"), "rb").read()
    n = 150
    x, y, p = RNG.integers(0, 128, n), RNG.integers(0, 128, n), RNG.integers(0, 2, n)
    t = np.cumsum(RNG.integers(0, 500, n)) + 1000
    addr = (y << 8) | ((127 - x) << 1) | (1 - p)
    addr[[10, 70, 71]] |= 0x8000
    data = head + np.stack([addr, t], 1).astype(">u4").tobytes()
    path = os.path.join(OUT_E, "dvs128.aedat")
    open(path, "wb").write(data)
    ver, start, _ = tio.read_aedat_header_from_file(path)
    allev = tio.get_aer_events_from_file(path, ver, start)
    a, ts = allev["address"].astype(np.int64), allev["timeStamp"].astype(np.int64)
    tonic_ev = make_events((a >> 8) & 0x7F, (a >> 1) & 0x7F, a & 1, ts)  # read_dvs_128's formulas
    keep = (a & 0x8000) == 0
    jaer = make_events(127 - ((a >> 1) & 0x7F), (a >> 8) & 0x7F, 1 - (a & 1), ts)[keep]
    put("dvs128.aedat", data, jaer, [128, 128, 2], tonic=ev_json(tonic_ev), creation_time_ms=1695355587880, data_start=start)
    # AEDAT 2.0 DAVIS346: synthetic addresses (jAER layout) with 5 APS samples (bit 31), read by Tonic
    x, y, p = RNG.integers(0, 346, n), RNG.integers(0, 260, n), RNG.integers(0, 2, n)
    addr = ((259 - y) << 22) | ((345 - x) << 12) | (p << 11)
    addr[[3, 4, 50, 99, 120]] = 0x80000000 | RNG.integers(0, 1 << 20, 5)
    data = head + np.stack([addr, t], 1).astype(">u4").tobytes()
    path = os.path.join(OUT_E, "davis346.aedat")
    open(path, "wb").write(data)
    _, _, d346 = tio.read_davis_346(path)
    a = tio.get_aer_events_from_file(path, 2.0, start)["address"].astype(np.int64)
    put("davis346.aedat", data, d346[(a >> 31) == 0], [346, 260, 2])

    # AEDAT 3.1 (DVS Gesture): valid polarity packets only, read by Tonic
    head3 = b"#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2017-04-12 12:00:00 (TZ+0000)\r\n#!END-HEADER\r\n"

    def packet(evtype, events, overflow=0, capacity=None):
        cap = len(events) if capacity is None else capacity
        recs = b"".join(struct.pack("<Ii", d, ts) for d, ts in events) + b"\0" * 8 * (cap - len(events))
        return struct.pack("<hhiiiiii", evtype, 1, 8, 4, overflow, cap, len(events), len(events)) + recs

    def pol(x, y, p, valid=1):
        return (int(x) << 17) | (int(y) << 2) | (int(p) << 1) | valid

    x, y, p = RNG.integers(0, 128, n), RNG.integers(0, 128, n), RNG.integers(0, 2, n)
    t = np.cumsum(RNG.integers(0, 300, n)) + 50
    recs = [(pol(x[i], y[i], p[i]), int(t[i])) for i in range(n)]
    data = head3 + packet(1, recs[:60]) + packet(1, recs[60:100]) + packet(1, recs[100:])
    path = os.path.join(OUT_E, "gesture.aedat")
    open(path, "wb").write(data)
    ver, start, _ = tio.read_aedat_header_from_file(path)
    a = tio.get_aer_events_from_file(path, ver, start)
    addr = a["address"].astype(np.int64)
    put("gesture.aedat", data, make_events((addr >> 17) & 0x1FFF, (addr >> 2) & 0x1FFF, (addr >> 1) & 1, a["timeStamp"]), [128, 128, 2])
    # AEDAT 3.1 with what Tonic does not handle: a special-event packet, invalid events, a timestamp overflow
    recs2 = list(recs[:40])
    recs2[5] = (recs2[5][0] & ~1, recs2[5][1])
    recs2[17] = (recs2[17][0] & ~1, recs2[17][1])
    data = head3 + packet(1, recs2) + packet(0, [(0x7, 500), (0x9, 600)]) + packet(1, recs[40:60], overflow=1, capacity=25)
    kept = [r for r in recs2 if r[0] & 1] + [(d, 2**31 + ts) for d, ts in recs[40:60]]
    dd = np.array([d for d, _ in kept], dtype=np.int64)
    ts_all = [ts for _, ts in kept]
    put("gesture_mixed.aedat", data, make_events(dd >> 17, (dd >> 2) & 0x7FFF, (dd >> 1) & 1, ts_all), [128, 128, 2], invalid=2, skipped={"0": 1})

    # npy: Tonic's DVS Gesture layout, an (N, 4) float array x, y, p, t in ms
    ev = tio.read_mnist_file(sample("sample_nmnist.bin"), DT)[:200]
    arr = np.stack([ev["x"], ev["y"], ev["p"], ev["t"] / 1000.0 + RNG.random(200) * 1e-4], 1).astype(np.float64)
    import io as _io

    buf = _io.BytesIO()
    np.save(buf, arr)
    events = np.load(_io.BytesIO(buf.getvalue()))
    events[:, 3] *= 1000  # DVSGesture.__getitem__
    gdt = np.dtype([("x", np.int16), ("y", np.int16), ("p", bool), ("t", np.int64)])
    st = recfunctions.unstructured_to_structured(events, gdt)
    put("gesture_plain.npy", buf.getvalue(), st, [34, 34, 2])
    # npy: tonic.io.events_struct (x i2, y i2, t i8, p bool), structured
    s = tio.make_structured_array(ev["x"], ev["y"], ev["t"], ev["p"])
    buf = _io.BytesIO()
    np.save(buf, s)
    put("events_struct.npy", buf.getvalue(), s, [34, 34, 2])
    # npy: int32 (N, 4) Fortran-ordered, columns t, x, y, p
    buf = _io.BytesIO()
    np.save(buf, np.asfortranarray(np.stack([ev["t"], ev["x"], ev["y"], ev["p"]], 1).astype("<i4")))
    put("fortran_txyp.npy", buf.getvalue(), ev, [34, 34, 2])

    with open(os.path.join(OUT_E, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
    return a4, packets


# ---------------------------------------------------------------- transform fixtures


def sparse(arr):
    flat = np.asarray(arr).ravel()
    nz = np.nonzero(flat)[0]
    return {"shape": [int(s) for s in np.shape(arr)], "index": [int(i) for i in nz], "value": [float(v) for v in flat[nz]]}


def transform_fixtures(a4_packets):
    inputs = {}
    nm = tio.read_mnist_file(sample("sample_nmnist.bin"), DT)
    s = int(RNG.integers(0, len(nm) - 200))
    inputs["nmnist"] = (nm[s:s + 200], (34, 34, 2))
    dat, _ = read_dat(open(sample("sample_ncars.dat"), "rb").read())
    s = int(RNG.integers(0, len(dat) - 150))
    inputs["ncars"] = (dat[s:s + 150], (304, 240, 2))
    a4 = np.concatenate([event_packet_events(decompress("LZ4", p)[4:]) for _, sid, p in a4_packets[20:24] if sid == 0])
    s = int(RNG.integers(0, len(a4) - 150))
    inputs["aedat4"] = (a4[s:s + 150], (320, 240, 2))
    # hand-made: events exactly on window edges, repeated timestamps, neighbours at filter-time distance
    inputs["edges"] = (
        make_events(
            [0, 1, 1, 2, 3, 0, 2, 1, 1, 3, 0, 2, 2, 3, 1, 0],
            [0, 0, 1, 2, 2, 1, 1, 2, 0, 0, 2, 2, 1, 1, 1, 0],
            [1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1],
            [0, 0, 100, 100, 100, 199, 200, 200, 250, 300, 300, 400, 500, 500, 599, 600],
        ),
        (4, 3, 2),
    )

    cases = []

    def case(inp, name, params, fn):
        ev, size = inputs[inp]
        out = fn(ev.copy(), size)
        if isinstance(out, np.ndarray) and out.dtype.names:
            res = {"events": ev_json(out)}
        else:
            res = {"tensor": sparse(out)}
        cases.append({"input": inp, "transform": name, "params": params, **res})

    for inp, (ev, size) in inputs.items():
        t0, t1 = int(ev["t"][0]), int(ev["t"][-1])
        span = t1 - t0
        tw = 100 if inp == "edges" else max(1, span // 7)
        frames = [
            {"time_window": tw},
            {"time_window": tw, "overlap": tw // 2},
            {"time_window": tw, "include_incomplete": True},
            {"time_window": tw, "overlap": tw // 4, "include_incomplete": True},
            {"time_window": tw, "start_time": t0 + tw // 3, "end_time": t1 - tw // 5},
            {"time_window": 10 * span + 10},
            {"event_count": 5 if inp == "edges" else 37},
            {"event_count": 5 if inp == "edges" else 37, "overlap": 2 if inp == "edges" else 10},
            {"event_count": 5 if inp == "edges" else 37, "include_incomplete": True},
            {"event_count": 10 * len(ev)},
            {"n_time_bins": 5},
            {"n_time_bins": 4, "overlap": 0.25},
            {"n_event_bins": 6},
            {"n_event_bins": 3, "overlap": 0.3},
        ]
        for prm in frames:
            case(inp, "ToFrame", prm, lambda e, sz, prm=prm: T.ToFrame(sensor_size=sz, **prm)(e))
        case(inp, "MergePolarities+ToFrame", {"n_time_bins": 3}, lambda e, sz: T.ToFrame(sensor_size=(sz[0], sz[1], 1), n_time_bins=3)(T.MergePolarities()(e)))
        ft = 100 if inp == "edges" else max(1, span // 20)
        for f in (ft, 5 * ft):
            case(inp, "Denoise", {"filter_time": f}, lambda e, sz, f=f: T.Denoise(filter_time=f)(e))
        case(inp, "RefractoryPeriod", {"delta": ft}, lambda e, sz: T.RefractoryPeriod(delta=ft)(e))
        case(inp, "Downsample", {"spatial_factor": 0.5}, lambda e, sz: T.Downsample(spatial_factor=0.5)(e))
        case(inp, "Downsample", {"spatial_factor": [0.5, 0.25], "time_factor": 0.001},
             lambda e, sz: T.Downsample(spatial_factor=(0.5, 0.25), time_factor=0.001)(e))
        tgt = (3, 2) if inp == "edges" else (size[0] // 3, size[1] // 3)
        case(inp, "Downsample", {"target_size": list(tgt)}, lambda e, sz: T.Downsample(sensor_size=sz, target_size=tgt)(e))
        case(inp, "CropTime", {"min": t0 + span // 4, "max": t0 + span // 2}, lambda e, sz: T.CropTime(min=t0 + span // 4, max=t0 + span // 2)(e))
        case(inp, "CropTime", {"min": t0 + span // 3}, lambda e, sz: T.CropTime(min=t0 + span // 3)(e))
        cc = (2, 2) if inp == "edges" else (size[0] // 2 + 1, size[1] // 3)
        case(inp, "CenterCrop", {"size": list(cc)}, lambda e, sz: T.CenterCrop(sensor_size=sz, size=cc)(e))
        big = (size[0] + 5, size[1] + 2)
        case(inp, "CenterCrop", {"size": list(big)}, lambda e, sz: T.CenterCrop(sensor_size=sz, size=big)(e))
        case(inp, "MergePolarities", {}, lambda e, sz: T.MergePolarities()(e))
        case(inp, "TimeSkew", {"coefficient": 1.3, "offset": 100}, lambda e, sz: T.TimeSkew(coefficient=1.3, offset=100)(e))
        case(inp, "RandomFlipPolarity", {"p": 1.0}, lambda e, sz: T.RandomFlipPolarity(p=1.0)(e))
        case(inp, "RandomFlipLR", {"p": 1.0}, lambda e, sz: T.RandomFlipLR(sensor_size=sz, p=1.0)(e))
        case(inp, "RandomFlipUD", {"p": 1.0}, lambda e, sz: T.RandomFlipUD(sensor_size=sz, p=1.0)(e))
        for nb in (1, 5):
            case(inp, "ToVoxelGrid", {"n_time_bins": nb}, lambda e, sz, nb=nb: T.ToVoxelGrid(sensor_size=sz, n_time_bins=nb)(e))

    os.makedirs(OUT_T, exist_ok=True)
    doc = {
        "tonic_commit": "d0cb6df3ebfba018b9aac6d55f63576b46489609",
        "inputs": {k: ev_json(ev, size) for k, (ev, size) in inputs.items()},
        "cases": cases,
    }
    with open(os.path.join(OUT_T, "transforms.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))


if __name__ == "__main__":
    _, pk = reader_fixtures()
    transform_fixtures(pk)
    print("wrote", OUT_T, OUT_E)
