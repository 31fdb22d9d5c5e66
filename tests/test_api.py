"""The Python API as the README shows it, run verbatim; results owned by the caller."""

import re
from pathlib import Path

import numpy as np
import pytest

import luatorch

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_section() -> str:
    text = README.read_text()
    section = text[text.index("## Python API"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_python_example_runs_verbatim(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    exec(compile(_python_section(), "README.md", "exec"), {})
    out = capfd.readouterr().out
    assert "nn.Sequential" in out
    assert "--lr\t0.1" in out
    assert "boom" in out
    assert (tmp_path / "arrays.t7").is_file()


def test_forward_results_are_the_callers(tmp_path):
    rt = luatorch.Runtime()
    rt.execute(f"require 'nn'; torch.save('{tmp_path}/m.t7', nn.Linear(4, 3))")
    model = luatorch.load(str(tmp_path / "m.t7"))
    xs = [np.full((2, 4), float(i)) for i in range(3)]
    ys = [model.forward(x) for x in xs]
    assert not np.shares_memory(ys[0], ys[1])
    assert not np.allclose(ys[0], ys[2])
    p, g = model.getParameters()
    assert p.shape == (15,) and g.shape == (15,)


def test_missing_file_and_error_class(tmp_path):
    with pytest.raises(FileNotFoundError):
        luatorch.load(str(tmp_path / "missing.t7"))
    rt = luatorch.Runtime(load_torch=False)
    with pytest.raises(luatorch.LuaError) as e:
        rt.execute("local t = nil; return t.x")
    assert "attempt to index" in e.value.message


# ------------------------------------------------------------------------------------------------
# luatorch.Runtime: live values, shared memory, DLPack
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rt():
    return luatorch.Runtime()


def test_tensor_shares_the_arrays_memory_both_ways(rt):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = rt.tensor(a)
    assert t.typename == "torch.FloatTensor" and t.shape == (2, 3) and t.dtype == np.float32
    rt.globals.x = t
    rt.execute("x[1][1] = 100")                  # Lua writes, NumPy reads
    assert a[0, 0] == 100
    a[1, 2] = -5                                 # NumPy writes, Lua reads
    assert rt.eval("x[2][3]") == -5
    n = t.numpy()
    assert np.shares_memory(n, a) and np.shares_memory(np.asarray(t), a)
    n[0, 1] = 7
    assert rt.eval("x[1][2]") == 7
    # a strided view is shared too; a float64 array gives a DoubleTensor over its memory
    col = rt.tensor(a[:, 1])
    assert col.shape == (2,) and np.shares_memory(col.numpy(), a)
    d = np.zeros(3)
    assert rt.tensor(d).typename == "torch.DoubleTensor"
    rt.globals.d = d                             # assigning an array wraps it, no copy
    rt.execute("d:fill(2)")
    assert (d == 2).all()


def test_tensor_from_lua_is_a_view_of_lua_memory(rt):
    t = rt.eval("torch.zeros(2, 2)")
    assert isinstance(t, luatorch.LuaTensor) and t.typename == "torch.DoubleTensor"
    v = t.numpy()
    rt.globals.z = t
    rt.execute("z:fill(3)")
    assert (v == 3).all()
    v[1, 1] = 9
    assert rt.eval("z[2][2]") == 9
    # Torch7's indexing, len and iteration: 1-based rows, numbers at the last dimension
    assert len(t) == 2 and t[2][2] == 9
    rows = list(t)
    assert all(isinstance(r, luatorch.LuaTensor) and r.shape == (2,) for r in rows)
    assert list(rt.eval("torch.range(1, 3)")) == [1, 2, 3]
    assert t.add(1) is not None and rt.eval("z[1][1]") == 4   # methods get `self`
    assert t.size(1) == 2 and t.dim() == 2
    assert "torch.DoubleTensor of size 2x2" in str(t)
    assert not hasattr(t, "_repr_html_") and not hasattr(t, "nosuchmethod")


def test_dlpack_torch_and_numpy(rt):
    torch = pytest.importorskip("torch")
    a = np.ones((3, 2), np.float32)
    t = rt.tensor(a)
    assert t.__dlpack_device__()[0] == 1        # kDLCPU
    pt = torch.from_dlpack(t)
    pt[2, 1] = 5.0                              # PyTorch writes into the Lua tensor's memory
    assert a[2, 1] == 5 and rt.globals.torch.sum(t) == 10
    assert np.from_dlpack(t)[2, 1] == 5
    # a transposed (non-contiguous) Lua tensor crosses with its strides
    tt = rt.eval("torch.range(1, 6):view(2, 3):t()")
    assert torch.from_dlpack(tt).tolist() == [[1, 4], [2, 5], [3, 6]]


def test_globals_attribute_and_item_access(rt):
    g = rt.globals
    g.answer = 42
    assert rt.eval("answer") == 42 and g["answer"] == 42 and "answer" in g
    g["name"] = "torch"
    assert g.name == "torch"
    rt.execute("fromlua = {1, 2, 3, k = 'v'}")
    tab = g.fromlua
    assert isinstance(tab, luatorch.LuaObject)
    assert len(tab) == 3 and tab[1] == 1 and tab["k"] == "v"
    assert list(tab) == [1, 2, 3, "k"] and tab.values() == [1, 2, 3, "v"]
    assert tab.to_python() == {1: 1, 2: 2, 3: 3, "k": "v"}
    tab[4] = 4
    assert rt.eval("#fromlua") == 4
    del g.answer
    assert "answer" not in g
    with pytest.raises(AttributeError):
        g.answer  # noqa: B018
    with pytest.raises(KeyError):
        tab[99]  # noqa: B018


def test_lua_modules_callable_from_python(rt):
    nn = rt.require("nn")
    torch = rt.globals.torch
    lin = nn.Linear(3, 2)
    assert lin.typename == "nn.Linear" and lin.weight.shape == (2, 3)
    w = lin.weight.numpy()
    lin.weight.fill(0.5)
    assert (w == 0.5).all()
    y = lin.forward(np.ones((4, 3)))
    assert isinstance(y, np.ndarray) and y.shape == (4, 2)
    assert torch.rand(2, 3).shape == (2, 3)
    seq = nn.Sequential().add(lin).add(nn.Tanh())
    assert seq.modules[1].typename == "nn.Linear"   # Lua's own indexing: 1-based
    add = rt.eval("function(a, b) return a + b, a * b end")
    assert add(2, 3) == (5, 6) and rt.call(add, 1, 1) == (2, 1)


def test_dtype_mismatch_in_python_terms(rt):
    lin = rt.require("nn").Linear(3, 2)
    with pytest.raises(TypeError, match="float32 but the model's parameters are float64"):
        lin.forward(np.ones((1, 3), np.float32))


def test_run_file_args_and_missing_file(rt, tmp_path, capfd):
    script = tmp_path / "s.lua"
    script.write_text("print(arg[0] ~= nil, arg[1], arg[2]); result = #arg\n")
    rt.run_file(str(script), ["-lr", 0.1])
    assert capfd.readouterr().out.split() == ["true", "-lr", "0.1"]
    assert rt.globals.result == 2
    with pytest.raises(FileNotFoundError):
        rt.run_file(str(tmp_path / "missing.lua"))


def test_no_lupa_names_leak(rt):
    values = [rt.eval("{}"), rt.eval("print"), rt.eval("nn"), rt.eval("torch.rand(2)"),
              rt.globals, rt.eval("coroutine.create(function() end)")]
    for v in values:
        assert "lupa" not in repr(v).lower() and "_Lua" not in repr(v), repr(v)
        assert "lupa" not in type(v).__module__
    for bad in ("error('x')", "local t = nil; return t.x", "return nil + 1"):
        with pytest.raises(luatorch.LuaError) as e:
            rt.execute(bad)
        assert "lupa" not in str(e.value) and "[luatorch" not in str(e.value)
    with pytest.raises(luatorch.LuaError) as e:
        rt.require("nn").Linear(3, 2).forward(np.ones((2, 5)))
    assert "lupa" not in str(e.value) and "[luatorch" not in str(e.value), str(e.value)
    with pytest.raises(TypeError, match="cannot hand a Python object to Lua"):
        rt.globals.x = object()


def test_cuda_device_on_virtual_gpus():
    vrt = luatorch.Runtime(device="cuda", virtual_gpus=2)
    a = np.arange(4, dtype=np.float32)
    t = vrt.tensor(a)
    assert t.typename == "torch.CudaTensor" and t.is_cuda
    assert (t.numpy() == a).all()
    assert vrt.eval("cutorch.getDeviceCount()") == 2
    with pytest.raises(ValueError):
        luatorch.Runtime(device="tpu")
