"""bench/upstream_suites.py: counts a suite laid out as torch/torch7's, one test per process."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# A suite written the way torch7's test/test.lua is: a local TestSuite, a global entry point.
SUITE = """
local suite = torch.TestSuite()
local tester
function suite.passes() tester:assert(1 + 1 == 2, 'sum') end
function suite.passesToo() tester:eq(torch.Tensor{1, 2}, torch.Tensor{1, 2}, 0) end
function suite.fails() tester:eq(1, 2, 'one is not two') end
function suite.errors() error('boom') end
function suite.passesPrefix() tester:assert(true) end
function torch.test(tests)
   tester = torch.Tester()
   tester:add(suite)
   tester:run(tests)
   return tester
end
"""

SCRIPT_OK = "require 'torch'\nassert(torch.Tensor(3):fill(1):sum() == 3)\n"
SCRIPT_BAD = "require 'torch'\nerror('this script fails')\n"


def test_runner_counts_each_test(tmp_path: pathlib.Path) -> None:
    repo = tmp_path / "torch7"
    (repo / "test").mkdir(parents=True)
    (repo / "test" / "test.lua").write_text(SUITE)
    optim = tmp_path / "optim"
    (optim / "test").mkdir(parents=True)
    (optim / "test" / "test_ok.lua").write_text(SCRIPT_OK)
    (optim / "test" / "test_bad.lua").write_text(SCRIPT_BAD)
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "upstream_suites.py"), "--torch", str(repo),
         "--optim", str(optim), "--timeout", "120"],
        capture_output=True, text=True, timeout=300, check=True).stdout
    # 'passes' is also a prefix of 'passesPrefix': each runs alone, so the count is exact
    assert "torch: 3/5 passed" in out
    assert "optim: 1/2 passed" in out
    lines = {ln.split(" (")[0] for ln in out.splitlines()}
    assert {"PASS torch.passes", "PASS torch.passesToo", "PASS torch.passesPrefix",
            "FAIL torch.fails", "FAIL torch.errors", "PASS optim.test_ok.lua",
            "FAIL optim.test_bad.lua"} <= lines
    assert "boom" in out and "this script fails" in out
