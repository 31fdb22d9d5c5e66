"""Python API: luatorch.load / luatorch.save / inspect_file, and save/load speed."""

from __future__ import annotations

import os

import numpy as np
import pytest

import luatorch
from luatorch.api import LuaObject, inspect_file
from luatorch.runtime import LuaError
from tests.serialization.conftest import FIXTURES, REAL


def test_load_tables_and_tensors():
    x = luatorch.load(os.path.join(REAL, "mixed_table.t7"))
    assert x[1] == "one" and x[2] == 2.5 and x["neg"] == -7 and x[10] == "ten"
    assert x["bytes"] == b"a\x00b\n\xff"           # not UTF-8: stays bytes
    assert x["list"] == [1, 2, 3, "four", True]
    assert x["nested"]["a"]["b"]["c"] == "deep"
    assert x["long"].dtype == np.int64 and x["long"][1, 2] == 2 ** 40
    assert x[0.5] == "half" and x[-3] == "minus three" and x["big"] == 2 ** 53
    io = luatorch.load(os.path.join(REAL, "mlp_io_ascii.t7"))
    assert io["input"].shape == (8, 100) and io["target"].dtype == np.int64


def test_load_cycles_and_classes():
    t = luatorch.load(os.path.join(FIXTURES, "recursive_kv_table.t7"))
    (k, v), = t.items()
    assert v is t and k.obj is t
    luatorch.api.runtime().execute("if not torch.getmetatable('A') then torch.class('A') end")
    a = luatorch.load(os.path.join(FIXTURES, "recursive_class.t7"))
    assert isinstance(a, LuaObject) and a.typename == "A"
    assert a.a.typename == "A"


def test_model_forward_and_tree():
    m = luatorch.load(os.path.join(REAL, "mlp.t7"))
    io = luatorch.load(os.path.join(REAL, "mlp_io.t7"))
    assert isinstance(m, LuaObject) and m.typename == "nn.Sequential"
    out = m.forward(io["input"])
    assert isinstance(out, np.ndarray) and out.shape == (8, 10)
    assert np.abs(out - io["output"]).max() < 1e-12
    assert [mod.typename for mod in m.modules] == [
        "nn.Linear", "nn.Threshold", "nn.Linear", "nn.Threshold", "nn.Linear", "nn.LogSoftMax"]
    s = str(m)
    assert s.startswith("nn.Sequential {") and "(1): nn.Linear(100 -> 100)" in s
    # parameters are NumPy views of the Lua tensors: no copy
    w = m.modules[0].weight
    assert w.shape == (100, 100)
    w[0, 0] = 123.0
    assert m.modules[0].weight[0, 0] == 123.0


def test_save_python_values_round_trip(tmp_path):
    p = str(tmp_path / "d.t7")
    data = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": [1, 2.5, "x"],
            "c": {"d": True}, "e": b"\xff\x00", "n": None, "i": np.int64(3)}
    luatorch.save(p, data)
    y = luatorch.load(p)
    assert y["a"].dtype == np.float32 and (y["a"] == data["a"]).all()
    assert y["b"] == [1, 2.5, "x"] and y["c"] == {"d": True} and y["e"] == b"\xff\x00"
    assert "n" not in y and y["i"] == 3
    luatorch.save(p, data, format="ascii")
    assert (luatorch.load(p)["a"] == data["a"]).all()


def test_save_model(tmp_path):
    m = luatorch.load(os.path.join(REAL, "mlp.t7"))
    p = str(tmp_path / "m.t7")
    luatorch.save(p, {"model": m, "epoch": 3})
    y = luatorch.load(p)
    assert y["epoch"] == 3 and y["model"].typename == "nn.Sequential"
    inp = np.random.RandomState(0).randn(2, 100)
    assert np.abs(y["model"].forward(inp) - m.forward(inp)).max() == 0
    # a model saved alone is byte-identical to the original file
    q = str(tmp_path / "m2.t7")
    luatorch.save(q, luatorch.load(os.path.join(REAL, "mlp.t7")))
    assert open(q, "rb").read() == open(os.path.join(REAL, "mlp.t7"), "rb").read()


def test_load_errors_are_lua_errors(tmp_path):
    p = str(tmp_path / "bad.t7")
    with open(p, "wb") as fh:
        fh.write(b"\x04\x00\x00\x00\x01\x00\x00\x00")
    with pytest.raises(LuaError, match=r"bad\.t7: corrupt file at byte 8"):
        luatorch.load(p)


def test_trust_functions_option(tmp_path):
    p = str(tmp_path / "f.t7")
    luatorch.api.runtime().execute(f"torch.save('{p}', {{f = function() return 4 end}})")
    with pytest.raises(LuaError, match="refusing to load"):
        luatorch.load(p)
    f = luatorch.load(p, trust_functions=True)["f"]
    assert f() == 4


def test_inspect_file_model():
    text = inspect_file(os.path.join(REAL, "mlp.t7"))
    assert "mlp.t7: binary Torch7 file, 403637 bytes" in text
    assert "(1): nn.Linear  [weight: DoubleTensor 100x100, bias: DoubleTensor 100]" in text
    assert "(6): nn.LogSoftMax" in text
    assert "parameters: 21210" in text


def test_inspect_file_data_and_no_code(tmp_path):
    text = inspect_file(os.path.join(REAL, "mixed_table_ascii.t7"))
    assert "ascii Torch7 file" in text and "long: LongTensor 2x3" in text
    p = str(tmp_path / "fn.t7")
    marker = str(tmp_path / "ran")
    luatorch.api.runtime().execute(
        f"torch.save('{p}', {{f = function() io.open('{marker}', 'w'):close() end}})")
    text = inspect_file(p)
    assert "function (" in text and "not loaded" in text
    assert not os.path.exists(marker)
    # unknown classes are shown, not refused: nothing is instantiated
    from luatorch.serialization import save_python
    from luatorch.serialization.reader import TorchObject

    q = str(tmp_path / "cls.t7")
    save_python(q, {"net": TorchObject("cudnn.Whatever", 1, {"weight": np.zeros((3, 2))})})
    assert "cudnn.Whatever  [weight: DoubleTensor 3x2]" in inspect_file(q)


SPEED = r"""
import sys, time
from luatorch.runtime import Runtime
rt = Runtime()
p = sys.argv[1]
rt.execute("__big = torch.FloatTensor(25 * 1024 * 1024):fill(1.5)")
best_s = best_l = 1e9
for _ in range(2):
    t0 = time.perf_counter()
    rt.execute(f"torch.save('{p}', __big)")
    t1 = time.perf_counter()
    rt.execute(f"__big2 = torch.load('{p}')")
    t2 = time.perf_counter()
    best_s, best_l = min(best_s, t1 - t0), min(best_l, t2 - t1)
assert rt.eval("__big2:nElement()") == 25 * 1024 * 1024
print(100.0 / best_s, 100.0 / best_l)
"""


def test_speed_100mb_float_tensor(tmp_path, capsys):
    """Save/load of a 100 MB FloatTensor through torch.save / torch.load (reported, not tuned).

    Run in a child process: the parent's peak memory stays small (children inherit it).
    """
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", SPEED, str(tmp_path / "big.t7")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    save, load = (float(v) for v in r.stdout.split())
    with capsys.disabled():
        print(f"\n[serialization speed] save {save:.0f} MB/s, load {load:.0f} MB/s")
    assert save > 30 and load > 30
