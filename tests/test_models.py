"""Every script in models/ runs to completion (each asserts its own result)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODELS = sorted((ROOT / "models").glob("*.lua"))
# scripts whose full default run is too long for the suite, run shortened by their own flags
SHORT_ARGS = {"char_lstm": ["-iters", "30", "-seq", "8"]}


@pytest.mark.slow
@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_model_script(path):
    r = subprocess.run([sys.executable, "-m", "luatorch.cli", "run", str(path),
                        *SHORT_ARGS.get(path.stem, [])], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
