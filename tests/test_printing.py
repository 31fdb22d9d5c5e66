"""Torch7's printed form of tensors and storages (luatorch.printing).

Expected strings follow Torch7's latest Tensor.lua; cases marked "doc" are outputs shown in
Torch7's doc/tensor.md, with the old `of dimension` footer spelled `of size` as printed since.
"""

import numpy as np
import pytest

from luatorch.printing import EXPORTS, format_storage, format_tensor
from luatorch.tensor import Storage, Tensor

D = "torch.DoubleTensor"


def test_integer_matrix_doc():
    x = np.arange(1, 21, dtype=np.float64).reshape(4, 5)
    assert format_tensor(x, D) == (
        "  1   2   3   4   5\n"
        "  6   7   8   9  10\n"
        " 11  12  13  14  15\n"
        " 16  17  18  19  20\n"
        "[torch.DoubleTensor of size 4x5]\n"
    )


def test_float_matrix_doc():
    row = " 3.1400  3.1400  3.1400  3.1400  3.1400\n"
    assert format_tensor(np.full((2, 5), 3.14), D) == row + row + f"[{D} of size 2x5]\n"


def test_zero_matrix_and_vector():
    assert format_tensor(np.zeros((2, 3)), D) == (
        " 0  0  0\n 0  0  0\n[torch.DoubleTensor of size 2x3]\n")
    assert format_tensor(np.zeros(3), D) == " 0\n 0\n 0\n[torch.DoubleTensor of size 3]\n"


def test_vector_one_value_per_line_doc():
    x = np.arange(1, 6, dtype=np.float64)
    assert format_tensor(x, D) == " 1\n 2\n 3\n 4\n 5\n[torch.DoubleTensor of size 5]\n"
    assert format_tensor(np.full(3, 3.14), "torch.DoubleTensor") == (
        " 3.1400\n 3.1400\n 3.1400\n[torch.DoubleTensor of size 3]\n")
    assert format_tensor(np.array([3, 3, 3], np.int32), "torch.IntTensor") == (
        " 3\n 3\n 3\n[torch.IntTensor of size 3]\n")


def test_negative_integers_doc():
    x = np.zeros((5, 6))
    x[0, 2] = 1
    x[1, 1:4] = 2
    x[:, 3] = -1
    x[:, 1] = np.arange(1, 6)
    assert format_tensor(x, D) == (
        " 0  1  1 -1  0  0\n"
        " 0  2  2 -1  0  0\n"
        " 0  3  0 -1  0  0\n"
        " 0  4  0 -1  0  0\n"
        " 0  5  0 -1  0  0\n"
        "[torch.DoubleTensor of size 5x6]\n"
    )


def test_negative_floats_doc():
    z = np.sin(np.arange(1, 10, dtype=np.float64)).reshape(3, 3)
    assert format_tensor(z, D) == (
        " 0.8415  0.9093  0.1411\n"
        "-0.7568 -0.9589 -0.2794\n"
        " 0.6570  0.9894  0.4121\n"
        "[torch.DoubleTensor of size 3x3]\n"
    )


def test_width_follows_largest_magnitude_doc():
    # indexFill example: -10 widens every column to %8.4f
    x = np.array([[0.8414, 0.4121, 0.3934, 0.5600, 0.5403],
                  [0.3029, 0.2040, 0.7893, 0.6079, 0.6334],
                  [0.3743, 0.1389, 0.1573, 0.1357, 0.8460],
                  [0.2838, 0.9925, 0.0076, 0.7220, 0.5185],
                  [0.8739, 0.6887, 0.4271, 0.0385, 0.9116]])
    x[:, [3, 1]] = -10
    assert format_tensor(x, D) == (
        "  0.8414 -10.0000   0.3934 -10.0000   0.5403\n"
        "  0.3029 -10.0000   0.7893 -10.0000   0.6334\n"
        "  0.3743 -10.0000   0.1573 -10.0000   0.8460\n"
        "  0.2838 -10.0000   0.0076 -10.0000   0.5185\n"
        "  0.8739 -10.0000   0.4271 -10.0000   0.9116\n"
        "[torch.DoubleTensor of size 5x5]\n"
    )
    # map2 example: values up to 81.8 take %8.4f
    i = np.arange(1, 10, dtype=np.float64)
    y = (np.cos(i) ** 2 + i * i).reshape(3, 3)
    assert format_tensor(y, D) == (
        "  1.2919   4.1732   9.9801\n"
        " 16.4272  25.0805  36.9219\n"
        " 49.5684  64.0212  81.8302\n"
        "[torch.DoubleTensor of size 3x3]\n"
    )


def test_scale_factor_small_values():
    v = np.array([1e-5, 2.5e-5, 3e-5])
    assert format_tensor(v, D) == (
        "1e-05 *\n 1.0000\n 2.5000\n 3.0000\n[torch.DoubleTensor of size 3]\n")
    m = np.array([[1e-5, 2.5e-5], [3e-5, 0.0]])
    assert format_tensor(m, D) == (
        "1e-05 *\n  1.0000  2.5000\n  3.0000  0.0000\n[torch.DoubleTensor of size 2x2]\n")


def test_scale_factor_large_values():
    v = np.array([123456.7, 2000000.5])
    assert format_tensor(v, D) == (
        "1e+06 *\n 0.1235\n 2.0000\n[torch.DoubleTensor of size 2]\n")
    # up to five integer digits no scale is used: the width grows instead
    assert format_tensor(np.array([12345.5, 1.25]), D) == (
        " 12345.5000\n     1.2500\n[torch.DoubleTensor of size 2]\n")


def test_exponent_format_for_wide_ranges():
    v = np.array([[1e-5, 1.5, 100.25]])
    assert format_tensor(v, D) == (
        " 1.0000e-05  1.5000e+00  1.0025e+02\n[torch.DoubleTensor of size 1x3]\n")
    # a three-digit exponent widens the column by one
    assert format_tensor(np.array([1e-120, 0.5]), D) == (
        " 1.0000e-120\n  5.0000e-01\n[torch.DoubleTensor of size 2]\n")
    # integers of ten digits and more
    assert format_tensor(np.array([1e10, 1.0]), D) == (
        " 1.0000e+10\n 1.0000e+00\n[torch.DoubleTensor of size 2]\n")


def test_wide_matrix_column_blocks():
    x = np.full((2, 12), 1.5)
    ten = "  ".join(["1.5000"] * 10)
    assert format_tensor(x, D) == (
        "Columns 1 to 10\n"
        f" {ten}\n"
        f" {ten}\n"
        "\n"
        "Columns 11 to 12\n"
        " 1.5000  1.5000\n"
        " 1.5000  1.5000\n"
        "[torch.DoubleTensor of size 2x12]\n"
    )
    ints = np.arange(1, 31, dtype=np.float64).reshape(1, 30)
    out = format_tensor(ints, D)
    assert out.startswith("Columns 1 to 20\n  1   2   3")
    assert "\n\nColumns 21 to 30\n 21  22" in out
    assert out.endswith(" 30\n[torch.DoubleTensor of size 1x30]\n")
    assert max(len(line) for line in out.split("\n")) <= 80


def test_wide_matrix_with_scale():
    x = np.full((2, 11), 2e-5)
    ten = "  ".join(["2.0000"] * 10)
    assert format_tensor(x, D) == (
        "Columns 1 to 10\n"
        "1e-05 *\n"
        f"  {ten}\n"
        f"  {ten}\n"
        "\n"
        "Columns 11 to 11\n"
        "1e-05 *\n"
        "  2.0000\n"
        "  2.0000\n"
        "[torch.DoubleTensor of size 2x11]\n"
    )


def test_3d_tensor_doc():
    x = np.array([0.7160, 0.6514, 0.0704, 0.7856, 0.7452])
    r = np.tile(x, (3, 2, 1))
    block = "  0.7160  0.6514  0.0704  0.7856  0.7452\n" * 2
    assert format_tensor(r, D) == (
        "(1,.,.) = \n" + block + "\n"
        "(2,.,.) = \n" + block + "\n"
        "(3,.,.) = \n" + block +
        "[torch.DoubleTensor of size 3x2x5]\n"
    )


def test_3d_slices_share_one_format_and_wide_slices():
    x = np.array([[[1.0, 2.0]], [[300.0, 4.0]]])
    assert format_tensor(x, D) == (
        "(1,.,.) = \n    1    2\n\n(2,.,.) = \n  300    4\n[torch.DoubleTensor of size 2x1x2]\n")
    # inside a slice 79 characters are left: 9 columns of %7.4f; later headers lose the indent
    y = np.full((1, 1, 10), 1.5)
    nine = "  ".join(["1.5000"] * 9)
    assert format_tensor(y, D) == (
        "(1,.,.) = \n"
        " Columns 1 to 9\n"
        f"  {nine}\n"
        "\n"
        "Columns 10 to 10\n"
        "  1.5000\n"
        "[torch.DoubleTensor of size 1x1x10]\n"
    )


def test_4d_tensor_first_index_fastest():
    x = np.arange(1, 9, dtype=np.float64).reshape(2, 2, 1, 2)
    assert format_tensor(x, D) == (
        "(1,1,.,.) = \n  1  2\n\n"
        "(2,1,.,.) = \n  5  6\n\n"
        "(1,2,.,.) = \n  3  4\n\n"
        "(2,2,.,.) = \n  7  8\n"
        "[torch.DoubleTensor of size 2x2x1x2]\n"
    )


def test_3d_with_scale():
    # slice indent, then the scale's extra space, then the value's own padding
    x = np.array([[[1e-5, 2e-5]], [[3e-5, 4e-5]]])
    assert format_tensor(x, D) == (
        "(1,.,.) = \n 1e-05 *\n   1.0000  2.0000\n\n"
        "(2,.,.) = \n 1e-05 *\n   3.0000  4.0000\n"
        "[torch.DoubleTensor of size 2x1x2]\n"
    )


def test_empty():
    assert format_tensor(np.zeros(0), D) == "[torch.DoubleTensor with no dimension]\n"
    assert format_tensor(np.array(1.0), "torch.FloatTensor") == (
        "[torch.FloatTensor with no dimension]\n")
    t = Tensor.empty((), np.float64)
    assert EXPORTS["fmt_tensor"](t, "torch.CudaTensor") == "[torch.CudaTensor with no dimension]\n"


def test_non_contiguous_views():
    t = Tensor.from_array(np.arange(1, 7, dtype=np.float64).reshape(2, 3))
    assert EXPORTS["fmt_tensor"](t.transpose(0, 1), D) == (
        " 1  4\n 2  5\n 3  6\n[torch.DoubleTensor of size 3x2]\n")
    col = t.select(1, 2)
    assert EXPORTS["fmt_tensor"](col, D) == " 3\n 6\n[torch.DoubleTensor of size 2]\n"
    # the format is taken from the viewed elements only, not the whole storage
    big = Tensor.from_array(np.array([1.0, 2.0, 1000.5]))
    assert EXPORTS["fmt_tensor"](big.narrow(0, 0, 2), D) == (
        " 1\n 2\n[torch.DoubleTensor of size 2]\n")


def test_byte_and_float_tensors():
    b = np.array([0, 255, 7], dtype=np.uint8)
    assert format_tensor(b, "torch.ByteTensor") == (
        "   0\n 255\n   7\n[torch.ByteTensor of size 3]\n")
    f = np.array([[0.1, 0.25]], dtype=np.float32)
    assert format_tensor(f, "torch.FloatTensor") == (
        " 0.1000  0.2500\n[torch.FloatTensor of size 1x2]\n")
    c = np.array([-128, 5], dtype=np.int8)
    assert format_tensor(c, "torch.CharTensor") == "-128\n   5\n[torch.CharTensor of size 2]\n"


def test_nan_uses_plain_percent_f():
    v = np.array([1.0, np.nan, 2.5])
    assert format_tensor(v, D) == "1.000000\nnan\n2.500000\n[torch.DoubleTensor of size 3]\n"
    m = np.array([[1.0, np.nan], [np.inf, -2.0]])
    assert format_tensor(m, D) == "1.000000 nan\ninf -2.000000\n[torch.DoubleTensor of size 2x2]\n"
    # negative NaN prints as plain nan (LuaJIT 2.1's formatter drops the sign)
    with np.errstate(invalid="ignore"):
        neg = np.array([0.0]) / np.array([0.0])
    assert format_tensor(neg, D) == "nan\n[torch.DoubleTensor of size 1]\n"
    # NaN rows are never cut into column blocks
    out = format_tensor(np.full((1, 30), np.nan), D)
    assert "Columns" not in out and out.count("nan") == 30


def test_inf():
    assert format_tensor(np.array([1.0, np.inf, -np.inf]), D) == (
        " 1.0000e+00\n        inf\n       -inf\n[torch.DoubleTensor of size 3]\n")
    assert format_tensor(np.array([0.5, np.inf]), D) == (
        "  5.0000e-01\n         inf\n[torch.DoubleTensor of size 2]\n")


def test_storage():
    assert format_storage(np.zeros(10), "torch.DoubleStorage") == (
        " 0\n" * 10 + "[torch.DoubleStorage of size 10]\n")
    assert format_storage(np.array([4, 5], np.int64), "torch.LongStorage") == (
        " 4\n 5\n[torch.LongStorage of size 2]\n")
    assert format_storage(np.zeros(0), "torch.FloatStorage") == "[torch.FloatStorage of size 0]\n"
    assert format_storage(np.array([2e-5, 3e-5]), "torch.DoubleStorage") == (
        "1e-05 *\n 2.0000\n 3.0000\n[torch.DoubleStorage of size 2]\n")


def test_storage_export_takes_storage_objects():
    s = Storage(np.array([1.5, -2.0, 3.0]))
    assert EXPORTS["fmt_storage"](s, "torch.DoubleStorage") == (
        " 1.5000\n-2.0000\n 3.0000\n[torch.DoubleStorage of size 3]\n")
    # the whole storage is printed, whatever a tensor views of it
    t = Tensor(s, 1, (1,))
    assert EXPORTS["fmt_storage"](t.storage, "torch.DoubleStorage").endswith("of size 3]\n")


@pytest.mark.parametrize("typename", ["torch.CudaTensor", "torch.CudaDoubleTensor"])
def test_typename_passes_through(typename):
    assert format_tensor(np.ones((1, 1)), typename) == f" 1\n[{typename} of size 1x1]\n"


def test_storage_tostring_through_lua(rt):
    assert rt.eval("tostring(torch.DoubleStorage({1.5, 2, 3}))") == (
        " 1.5000\n 2.0000\n 3.0000\n[torch.DoubleStorage of size 3]\n")
