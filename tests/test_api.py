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
