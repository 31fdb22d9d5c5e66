"""Memory stays flat: Lua's collector runs when tensor buffers (invisible to it) pile up."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = r"""
from luatorch.runtime import Runtime
rt = Runtime()
rt.execute('''
  local x = torch.Tensor(131072):fill(1)   -- 1 MB of doubles
  for i = 1, 20000 do
     local y = x * 2
  end
''')
# VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec
with open('/proc/self/status') as f:
    print(next(int(line.split()[1]) for line in f if line.startswith('VmHWM')) // 1024)
"""


@pytest.mark.slow
def test_temporaries_do_not_pile_up():
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    peak_mb = int(r.stdout.strip().splitlines()[-1])
    # 20,000 MB of temporaries in all; without collection the peak would be gigabytes
    assert peak_mb < 150, f"peak RSS {peak_mb} MB"
