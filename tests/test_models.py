"""Every script in models/ runs to completion (each asserts its own result)."""

from __future__ import annotations

import pathlib
import re
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


# each script shortened by its own flag: it must finish (its checks wait for the full run),
# show an xlua progress bar, and say that the checks were skipped
SHORTENED = {
    "char_lstm": ["-iters", "4", "-seq", "4", "-batch", "2"],
    "lenet_digits": ["-epochs", "1"],
    "lenet_digits_dist": ["-epochs", "1"],
    "linear_regression": ["-epochs", "5"],
    "resnet_cifar": ["-steps", "1", "-batch", "2"],
    "spirals": ["-steps", "60"],
    "vgg_blobs": ["-steps", "2", "-batch", "4"],
}


def test_every_model_takes_a_length_flag():
    assert sorted(SHORTENED) == [p.stem for p in MODELS]


@pytest.mark.parametrize("name", sorted(SHORTENED))
def test_model_shortened_run(name, tmp_path):
    args = SHORTENED[name] + (["-plot", str(tmp_path / "loss.png")] if name == "char_lstm"
                              else [])
    r = subprocess.run([sys.executable, "-m", "luatorch.cli", "run",
                        str(ROOT / "models" / f"{name}.lua"), *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert re.search(r"\[=*[>=]?\.* \d+/\d+ \]", r.stdout), r.stdout[-1000:]
    if name != "resnet_cifar":  # its one check (the loss goes down) holds for any length >= 2
        assert "shortened run" in r.stdout
