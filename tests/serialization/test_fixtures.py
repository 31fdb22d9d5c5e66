"""Files written by the original Torch7: contents, reference figures, byte-identical re-save."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from luatorch.serialization import load_python
from tests.serialization.conftest import FIXTURES, REAL, fixture_files

ALL = fixture_files()


def _p(name: str) -> str:
    return os.path.join(REAL if name.startswith(("mlp", "mixed")) else FIXTURES, name)


def test_fixtures_present():
    assert len(ALL) >= 17


@pytest.mark.parametrize("path", ALL, ids=os.path.basename)
def test_every_fixture_loads_in_lua(srt, path):
    t = srt.eval(f"torch.type(torch.load('{path}'))")
    assert t in ("table", "torch.DoubleTensor", "torch.FloatTensor", "Blah", "A",
                 "nn.Sequential")


@pytest.mark.parametrize("path", ALL, ids=os.path.basename)
def test_resave_is_byte_identical(srt, path, tmp_path):
    """Load then save: the bytes Torch7 wrote come back unchanged (binary and ascii)."""
    fmt = "ascii" if "ascii" in path else "binary"
    out = str(tmp_path / "out.t7")
    srt.execute(f"torch.save('{out}', torch.load('{path}'), '{fmt}')")
    with open(path, "rb") as a, open(out, "rb") as b:
        assert a.read() == b.read()


@pytest.mark.parametrize("path", ALL, ids=os.path.basename)
def test_serialize_matches_file(srt, path):
    """torch.serialize of a loaded object gives the file's bytes too (memory files)."""
    from tests.serialization.conftest import lua_bytes

    fmt = "ascii" if "ascii" in path else "binary"
    srt.execute(f"__s = torch.serialize(torch.load('{path}'), '{fmt}')")
    with open(path, "rb") as a:
        assert lua_bytes(srt, "__s") == a.read()


@pytest.mark.parametrize("path", ALL, ids=os.path.basename)
def test_pure_python_reader_round_trip(path):
    """The Lua-free reader and writer reproduce every fixture byte for byte."""
    from luatorch.serialization import dumps_python

    fmt = "ascii" if "ascii" in path else "binary"
    obj = load_python(path, tensors="tensor")
    with open(path, "rb") as a:
        assert dumps_python(obj, fmt) == a.read()


def test_doubletensor(srt):
    v = srt.eval(f"torch.load('{_p('doubletensor.t7')}'):totable()")
    assert [[v[i][j] for j in (1, 2, 3)] for i in (1, 2)] == [[1, 2, 3], [4, 5, 6.9]]


def test_floattensor(srt):
    s = srt.eval(f"torch.load('{_p('floattensor.t7')}'):sum()")
    assert abs(s - 12.97241666913) < 1e-5


def test_hello_and_lists(srt):
    assert srt.eval(f"torch.load('{_p('hello_123.t7')}').hello") == 123
    srt.execute(f"__l = torch.load('{_p('list_table.t7')}')")
    assert [srt.eval(f"__l[{i}]") for i in range(1, 5)] == ["hello", "world", "third item", 123]
    srt.execute(f"__m = torch.load('{_p('map_table1.t7')}')")
    assert srt.eval("__m[0]") == "zero"
    srt.execute(f"__m = torch.load('{_p('map_table2.t7')}')")
    assert srt.eval("__m.a") == "non number key"


def test_custom_and_recursive_classes(srt):
    assert srt.eval(f"torch.type(torch.load('{_p('custom_class.t7')}'))") == "Blah"
    srt.execute(f"__a = torch.load('{_p('recursive_class.t7')}')")
    assert srt.eval("torch.type(__a)") == "A"
    assert srt.eval("__a.a == __a") is True
    srt.execute(f"__t = torch.load('{_p('recursive_kv_table.t7')}')")
    assert srt.eval("(function() for k, v in pairs(__t) do return k == __t and v == __t end end)()")


@pytest.mark.parametrize("name", ["mixed_table.t7", "mixed_table_ascii.t7"])
def test_mixed_table(srt, name):
    from tests.serialization.conftest import lua_bytes

    srt.execute(f"__x = torch.load('{_p(name)}')")
    e = srt.eval
    assert e("__x[1]") == "one" and e("__x[2]") == 2.5 and e("__x.neg") == -7
    assert e("__x[10]") == "ten" and e("__x.float") == 3.25 and e("__x.small") == 1e-300
    assert e("__x.big") == 2 ** 53 and e("__x.inf") == math.inf and e("__x.ninf") == -math.inf
    assert e("__x[0.5]") == "half" and e("__x[-3]") == "minus three"
    assert e("__x.yes") is True and e("__x.no") is False and e("__x.empty") == ""
    assert lua_bytes(srt, "__x.bytes") == b"a\x00b\n\xff"
    assert e("torch.type(__x.long)") == "torch.LongTensor"
    assert e("__x.long[2][3]") == 2 ** 40
    assert e("__x.nested.a.b.c") == "deep"


def test_mlp_reference_figures(srt):
    """The saved MLP reproduces Torch7's outputs and parameters."""
    srt.execute(f"""
      __m = torch.load('{_p('mlp.t7')}')
      __io = torch.load('{_p('mlp_io.t7')}')
      __p = __m:getParameters()
    """)
    assert srt.eval("__p:nElement()") == 21210
    assert abs(srt.eval("__p:sum()") - 0.71772964799380312) < 1e-12
    assert abs(srt.eval("__io.input:sum()") - 59.21984961667269) < 1e-12
    assert abs(srt.eval("__io.output:sum()") - (-184.75183446549212)) < 1e-12
    assert srt.eval("__io.target:sum()") == 46
    assert srt.eval("__io.loss") == 2.1501616979536031
    assert srt.eval("__io.input:size(1)") == 8
    # the forward pass reproduces the saved output
    srt.execute("__out = __m:forward(__io.input)")
    assert srt.eval("(__out - __io.output):abs():max()") < 1e-12
    assert abs(srt.eval("__out:sum()") - (-184.75183446549212)) < 1e-10


def test_mlp_ascii_equals_binary(srt):
    srt.execute(f"""
      __a = torch.load('{_p('mlp_ascii.t7')}', 'ascii'):getParameters()
      __b = torch.load('{_p('mlp.t7')}'):getParameters()
    """)
    assert srt.eval("(__a - __b):abs():max()") == 0


def test_mlp_float(srt):
    srt.execute(f"""
      __m = torch.load('{_p('mlp_float.t7')}')
      __io = torch.load('{_p('mlp_float_io.t7')}')
      __out = __m:forward(__io.input)
    """)
    assert srt.eval("torch.type(__out)") == "torch.FloatTensor"
    assert abs(srt.eval("__io.output:sum()") - (-184.75183415412903)) < 1e-9
    assert srt.eval("(__out - __io.output):abs():max()") < 1e-5


def test_mlp_io_ascii_values(srt):
    srt.execute(f"""
      __a = torch.load('{_p('mlp_io_ascii.t7')}')
      __b = torch.load('{_p('mlp_io.t7')}')
    """)
    assert srt.eval("(__a.input - __b.input):abs():max()") == 0
    assert srt.eval("__a.loss == __b.loss") is True


def test_pure_python_values():
    x = load_python(_p("mlp_io.t7"))
    assert x[b"input"].shape == (8, 100) and x[b"input"].dtype == np.float64
    assert abs(x[b"output"].sum() - (-184.75183446549212)) < 1e-12
    assert x[b"target"].dtype == np.int64 and x[b"target"].sum() == 46
    m = load_python(_p("mlp.t7"))
    assert m.typename == "nn.Sequential"
    mods = m[b"modules"]
    assert [mods[float(i)].typename for i in range(1, 7)] == [
        "nn.Linear", "nn.Threshold", "nn.Linear", "nn.Threshold", "nn.Linear", "nn.LogSoftMax"]
    total = sum(mods[float(i)][k].size for i in (1, 3, 5) for k in (b"weight", b"bias"))
    assert total == 21210
