"""The cuDNN route: convolutions and batch normalization through NVIDIA's cuDNN frontend.

CuPy 14 dropped its cuDNN bindings; the frontend (`pip install nvidia-cudnn-frontend`, module
`cudnn`, with the cuDNN library from `nvidia-cudnn-cu12`/`-cu13`) builds one operation graph per
op and shape, asks cuDNN's heuristics for plans and runs the chosen one on CuPy arrays.  Every
built graph is kept in `routes.plans`, keyed by op, device, the operands' shapes, strides and
element types, the op's parameters and the flags that change the plan choice
(cudnn.benchmark / fastest / deterministic).

Only called on CuPy arrays when `routes.pick` says so; the generic kernels stay the fallback.
All operands here are contiguous NCHW arrays (the callers make them so).
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import numpy as np

from luatorch.kernels import routes

_handles: Dict[int, Any] = {}
_ones: Dict[Tuple[int, int], Any] = {}


def _lib() -> Any:
    import cudnn  # noqa: PLC0415

    return cudnn


def _cp() -> Any:
    import cupy  # noqa: PLC0415

    return cupy


def _io_type(cudnn: Any, dtype: Any) -> Any:
    return {"float32": cudnn.data_type.FLOAT, "float64": cudnn.data_type.DOUBLE,
            "float16": cudnn.data_type.HALF}[np.dtype(dtype).name]


def _compute_type(cudnn: Any, dtype: Any) -> Any:
    return cudnn.data_type.DOUBLE if np.dtype(dtype) == np.float64 else cudnn.data_type.FLOAT


def _row_major(shape: tuple) -> List[int]:
    out, n = [], 1
    for s in reversed(shape):
        out.append(n)
        n *= s
    return out[::-1]


def handle() -> Any:
    """The current device's cuDNN handle, set to CuPy's current stream (a capturing stream
    too: cutorch.graph replays what it launched)."""
    cudnn, cp = _lib(), _cp()
    dev = cp.cuda.Device().id
    h = _handles.get(dev)
    if h is None:
        h = _handles[dev] = cudnn.create_handle()
    cudnn.set_stream(handle=h, stream=cp.cuda.get_current_stream().ptr)
    return h


class Plan:
    """A built frontend graph, its operand tensors in call order, its workspace size."""

    __slots__ = ("graph", "tensors", "workspace", "name", "ran")

    def __init__(self, graph: Any, tensors: list) -> None:
        self.graph, self.tensors = graph, tensors
        self.ran = False
        self.workspace = int(graph.get_workspace_size())
        try:
            self.name = str(graph.get_plan_name_at_index(0))
        except Exception:
            self.name = "?"

    def pack(self, buffers: tuple) -> dict:
        return {t: b for t, b in zip(self.tensors, buffers) if t is not None}

    def run(self, *buffers: Any) -> None:
        """Execute on `buffers` (one per operand tensor, in order)."""
        cp = _cp()
        ws = cp.empty(self.workspace, dtype=cp.uint8) if self.workspace else None
        self.graph.execute(self.pack(buffers), ws, handle=handle())


def _execute(key: tuple, plan: Any, buffers: tuple) -> bool:
    """Run `plan` on `buffers`.  A plan whose very first run fails (the frontend refusing the
    operands before anything launched) is declined like one that could not be built: False,
    and the generic kernels serve this key from then on.  Later failures are real errors."""
    if plan is None:
        return False
    if plan.ran:
        plan.run(*buffers)
        return True
    try:
        plan.run(*buffers)
    except Exception as e:
        routes.plans.plans.pop(key, None)
        routes.plans.declined[key] = f"first run: {type(e).__name__}: {e}"
        return False
    plan.ran = True
    return True


def _finish(g: Any, tensors: list, buffers: tuple, timed: bool) -> Plan:
    """Validate, plan and build `g` as the flags ask; with `timed` (cudnn.benchmark, never for
    graphs that update buffers in place) every plan runs once on `buffers` and the fastest
    is kept."""
    cudnn = _lib()
    f = routes.flags
    g.validate()
    g.build_operation_graph()
    g.create_execution_plans([cudnn.heur_mode.A, cudnn.heur_mode.FALLBACK])
    if not f.tf32 and np.dtype(buffers[0].dtype) != np.float16:
        # NOTE: float32 on tensor cores means TF32 inputs; the NumPy kernels and PyTorch with
        # allow_tf32 off both keep full float32 (half precision keeps its tensor cores)
        g.deselect_numeric_notes([cudnn.numerical_note.TENSOR_CORE,
                                  cudnn.numerical_note.DOWN_CONVERT_INPUTS])
    if f.deterministic:
        g.deselect_numeric_notes([cudnn.numerical_note.NONDETERMINISTIC])
    if not f.fastest:
        g.deselect_workspace_greater_than(f.workspace_limit)
    g.check_support()
    if timed and f.benchmark:
        g.build_plans(cudnn.build_plan_policy.ALL)
        best = _fastest_plan(g, tensors, buffers)
        g.build_plan_at_index(best)
    else:
        g.build_plans()
    return Plan(g, tensors)


def _fastest_plan(g: Any, tensors: list, buffers: tuple) -> int:
    """The index of the plan that ran fastest on `buffers` (each run twice, the second timed)."""
    cp = _cp()
    pack = {t: b for t, b in zip(tensors, buffers) if t is not None}
    best, best_ms = 0, float("inf")
    for i in range(g.get_execution_plan_count()):
        try:
            g.build_plan_at_index(i)
            n = int(g.get_workspace_size())
            ws = cp.empty(n, dtype=cp.uint8) if n else None
            g.execute_plan_at_index(pack, ws, i, handle=handle())
            start, stop = cp.cuda.Event(), cp.cuda.Event()
            start.record()
            g.execute_plan_at_index(pack, ws, i, handle=handle())
            stop.record()
            stop.synchronize()
            ms = cp.cuda.get_elapsed_time(start, stop)
        except Exception:   # a plan the backend declines to build or run: not a candidate
            continue
        if ms < best_ms:
            best, best_ms = i, ms
    return best


def _graph(dtype: Any) -> Any:
    cudnn = _lib()
    dt, ct = _io_type(cudnn, dtype), _compute_type(cudnn, dtype)
    return cudnn.pygraph(io_data_type=dt, intermediate_data_type=ct, compute_data_type=ct,
                         handle=handle())


def _tensor(g: Any, name: str, shape: tuple, dtype: Any) -> Any:
    return g.tensor(name=name, dim=list(shape), stride=_row_major(shape),
                    data_type=_io_type(_lib(), dtype))


def _conv_plan(op: str, x_shape: tuple, w_shape: tuple, y_shape: tuple, dtype: Any,
               pad: tuple, st: tuple, dil: tuple, buffers: tuple) -> Plan:
    cudnn = _lib()
    g = _graph(dtype)
    conv = dict(padding=list(pad), stride=list(st), dilation=list(dil),
                compute_data_type=_compute_type(cudnn, dtype))
    if op == "conv_fprop":
        x, w = _tensor(g, "x", x_shape, dtype), _tensor(g, "w", w_shape, dtype)
        y = g.conv_fprop(image=x, weight=w, name="fprop", **conv)
        y.set_output(True).set_data_type(_io_type(cudnn, dtype))
        tensors = [x, w, y]
    elif op == "conv_dgrad":
        dy, w = _tensor(g, "dy", y_shape, dtype), _tensor(g, "w", w_shape, dtype)
        dx = g.conv_dgrad(loss=dy, filter=w, name="dgrad", **conv)
        dx.set_output(True).set_dim(list(x_shape)).set_stride(_row_major(x_shape))
        dx.set_data_type(_io_type(cudnn, dtype))
        tensors = [dy, w, dx]
    else:
        x, dy = _tensor(g, "x", x_shape, dtype), _tensor(g, "dy", y_shape, dtype)
        dw = g.conv_wgrad(image=x, loss=dy, name="wgrad", **conv)
        dw.set_output(True).set_dim(list(w_shape)).set_stride(_row_major(w_shape))
        dw.set_data_type(_io_type(cudnn, dtype))
        tensors = [x, dy, dw]
    return _finish(g, tensors, buffers, timed=True)


def conv(op: str, a: Any, b: Any, out: Any, pad: tuple, st: tuple, dil: tuple) -> bool:
    """One convolution pass into `out` (overwritten), all contiguous NC... arrays:
    conv_fprop (x, w) -> y, conv_dgrad (dy, w) -> dx, conv_wgrad (x, dy) -> dw.  False when
    cuDNN has no plan for it (the caller computes it generically)."""
    cp = _cp()
    if op == "conv_fprop":
        x_shape, w_shape, y_shape = a.shape, b.shape, out.shape
    elif op == "conv_dgrad":
        x_shape, w_shape, y_shape = out.shape, b.shape, a.shape
    else:
        x_shape, w_shape, y_shape = a.shape, out.shape, b.shape
    bufs = (a, b, out)
    key = routes.plan_key(op, cp.cuda.Device().id, bufs, (pad, st, dil))
    plan = routes.plans.try_get(key, lambda: _conv_plan(op, tuple(x_shape), tuple(w_shape),
                                                        tuple(y_shape), a.dtype, pad, st, dil,
                                                        bufs))
    return _execute(key, plan, bufs)


def _ones_zeros(c: int, dtype: Any) -> tuple:
    """Scale 1 and bias 0 for a BatchNormalization without affine parameters (kept per size)."""
    cp = _cp()
    key = (cp.cuda.Device().id, c)
    v = _ones.get(key)
    if v is None:
        v = _ones[key] = (cp.ones((1, c, 1, 1), dtype), cp.zeros((1, c, 1, 1), dtype))
    return v


def _as4d(a: Any) -> Any:
    """(N, C, ...) seen as (N, C, H, W) with the trailing sizes folded (2-D gets H = W = 1)."""
    s = a.shape
    if len(s) == 2:
        return a.reshape(s[0], s[1], 1, 1)
    if len(s) == 3:
        return a.reshape(s[0], s[1], s[2], 1)
    return a


def bn_supported(x: Any) -> bool:
    """Inputs cuDNN normalizes here: 2-D to 4-D, contiguous."""
    return 2 <= x.ndim <= 4 and x.flags.c_contiguous


def _bn_train_plan(shape: tuple, buffers: tuple) -> Plan:
    cudnn = _lib()
    f32 = np.float32
    g = _graph(f32)
    c = shape[1]
    vec = (1, c, 1, 1)
    x = _tensor(g, "x", shape, f32)
    scale, bias = _tensor(g, "scale", vec, f32), _tensor(g, "bias", vec, f32)
    rm, rv = _tensor(g, "running_mean", vec, f32), _tensor(g, "running_var", vec, f32)
    eps = g.tensor(name="eps", dim=[1, 1, 1, 1], stride=[1, 1, 1, 1],
                   data_type=cudnn.data_type.FLOAT, is_pass_by_value=True)
    mom = g.tensor(name="momentum", dim=[1, 1, 1, 1], stride=[1, 1, 1, 1],
                   data_type=cudnn.data_type.FLOAT, is_pass_by_value=True)
    y, mean, inv_var, next_rm, next_rv = g.batchnorm(
        name="bn", input=x, scale=scale, bias=bias, in_running_mean=rm, in_running_var=rv,
        epsilon=eps, momentum=mom)
    y.set_output(True).set_data_type(cudnn.data_type.FLOAT)
    for t in (mean, inv_var, next_rm, next_rv):
        t.set_output(True).set_data_type(cudnn.data_type.FLOAT)
    tensors = [x, scale, bias, rm, rv, eps, mom, y, mean, inv_var, next_rm, next_rv]
    return _finish(g, tensors, buffers, timed=False)


def bn_train(x: Any, w: Any, b: Any, rmean: Any, rvar: Any, y: Any, smean: Any, sstd: Any,
             momentum: float, eps: float) -> bool:
    """Training BatchNormalization: y, the batch mean (smean) and 1 / sqrt(var + eps) (sstd),
    running mean and unbiased variance updated in place with `momentum` (Torch7's meaning,
    which is cuDNN's exponential average factor).  False: no plan, nothing written."""
    cp = _cp()
    x4, y4 = _as4d(x), _as4d(y)
    c = x4.shape[1]
    vec = (1, c, 1, 1)
    ones, zeros = _ones_zeros(c, x.dtype)
    sc = ones if w is None else w.reshape(vec)
    bi = zeros if b is None else b.reshape(vec)
    e = np.full((1, 1, 1, 1), eps, np.float32)
    m = np.full((1, 1, 1, 1), momentum, np.float32)
    rm, rv = rmean.reshape(vec), rvar.reshape(vec)
    bufs = (x4, sc, bi, rm, rv, e, m, y4, smean.reshape(vec), sstd.reshape(vec), rm, rv)
    key = routes.plan_key("bn_train", cp.cuda.Device().id, (x4, sc, bi), ())
    plan = routes.plans.try_get(key, lambda: _bn_train_plan(tuple(x4.shape), bufs))
    return _execute(key, plan, bufs)


def _bn_backward_plan(shape: tuple, buffers: tuple) -> Plan:
    cudnn = _lib()
    f32 = np.float32
    g = _graph(f32)
    vec = (1, shape[1], 1, 1)
    dy, x = _tensor(g, "dy", shape, f32), _tensor(g, "x", shape, f32)
    scale = _tensor(g, "scale", vec, f32)
    mean, inv_var = _tensor(g, "mean", vec, f32), _tensor(g, "inv_var", vec, f32)
    dx, dscale, dbias = g.batchnorm_backward(name="dbn", grad=dy, input=x, scale=scale,
                                             mean=mean, inv_variance=inv_var)
    dx.set_output(True).set_data_type(cudnn.data_type.FLOAT)
    dscale.set_output(True).set_data_type(cudnn.data_type.FLOAT)
    dbias.set_output(True).set_data_type(cudnn.data_type.FLOAT)
    tensors = [dy, x, scale, mean, inv_var, dx, dscale, dbias]
    return _finish(g, tensors, buffers, timed=False)


def bn_backward(x: Any, dy: Any, w: Any, smean: Any, sstd: Any, dx: Any, dscale: Any,
                dbias: Any) -> bool:
    """Training BatchNormalization's backward from the saved statistics: dx, and the scale's and
    bias' gradients (overwritten, the caller accumulates).  False: no plan."""
    cp = _cp()
    x4, dy4, dx4 = _as4d(x), _as4d(dy), _as4d(dx)
    c = x4.shape[1]
    vec = (1, c, 1, 1)
    sc = _ones_zeros(c, x.dtype)[0] if w is None else w.reshape(vec)
    bufs = (dy4, x4, sc, smean.reshape(vec), sstd.reshape(vec), dx4, dscale.reshape(vec),
            dbias.reshape(vec))
    key = routes.plan_key("bn_backward", cp.cuda.Device().id, (dy4, x4, sc), ())
    plan = routes.plans.try_get(key, lambda: _bn_backward_plan(tuple(x4.shape), bufs))
    return _execute(key, plan, bufs)
