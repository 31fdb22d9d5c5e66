"""The runtime the package tests share: one per test file, with that file's PACKAGE loaded."""

from __future__ import annotations

import pytest

from luatorch.runtime import Runtime


@pytest.fixture(scope="module")
def r(request) -> Runtime:
    """A runtime with `require '<PACKAGE>'` done, PACKAGE being the test file's."""
    rt = Runtime()
    rt.execute(f"require '{request.module.PACKAGE}'")
    return rt
