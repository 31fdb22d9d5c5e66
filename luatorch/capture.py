"""cutorch.graph: a training step captured once as a CUDA graph and replayed.

A Torch7 step repeats the same kernels on the same buffers; replaying them as one CUDA graph
removes the per-kernel launch cost (and every Lua and Python crossing).  The Lua half
(lua/cutorch/graph.lua) runs the step's function; this half decides, call by call:

  eager    run the function as usual: the first `warmup` calls, every call on virtual GPUs or
           the CPU, and every call once a capture failed (the reason is kept)
  capture  once `warmup` calls in a row changed no GPU tensor's geometry or storage
           (tensor.GPU_EPOCH stood still) and met the same top-level upvalues: the next call
           runs under CuPy stream capture, with a memory pool of its own, then the graph is
           launched once so that this call's work is done too
  replay   later calls, while the epoch still stands where the capture left it, the upvalues
           are the same objects and the same device is current: one graph launch

A capture fails when the step syncs with the host (a loss read back as a number, an
element read, a copy to the CPU): CUDA refuses that during capture.  The call is then run again
eagerly and the step stays eager; what its Lua code changed on the host before the sync
happens twice for that one call.  Values the step takes from Lua (learning rates, counters) are
frozen into a captured graph: call step:reset() after changing them.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from luatorch import backend
from luatorch.tensor import GPU_EPOCH

EAGER, CAPTURE, REPLAY = 0, 1, 2

# True while a step is being captured: kernels that check values on the host (and so would
# stop the capture) may then trust their inputs, as the replays will (see loss._indices).
CAPTURING = [False]


def _capturable() -> Optional[str]:
    """None when the current device can capture CUDA graphs, else why not."""
    devs = backend.gpu_devices()
    if not devs:
        return "no GPU: the step runs eagerly"
    dev = devs[backend.gpus.current]
    if getattr(dev, "xp", np) is np:
        return "virtual GPU: the step runs eagerly"
    return None


class StepGraph:
    """One cutorch.graph step: its state, its captured graph, its counters."""

    def __init__(self, warmup: int = 2) -> None:
        self.warmup = max(1, int(warmup))
        self.steady = 0            # eager calls in a row that changed no GPU geometry
        self.graph: Any = None
        self.device = -1
        self.epoch = -1            # GPU_EPOCH when the graph was captured
        self.started = 0           # GPU_EPOCH when the current call started
        self.disabled = ""         # why this step never captures
        self.reason = ""           # why it runs eagerly now
        self.stream: Any = None
        self.pool: Any = None
        self.saved_allocator: Any = None
        self.mode = EAGER
        self.eager_runs = self.captures = self.replays = self.invalidations = 0

    # -- the decision (pure, given what the caller observed) --------------------------------
    def decide(self, same_upvalues: bool, epoch: int, device: int,
               not_capturable: Optional[str]) -> int:
        """What this call does: EAGER, CAPTURE or REPLAY."""
        if self.graph is not None:
            if same_upvalues and epoch == self.epoch and device == self.device:
                return REPLAY
            self.drop("its tensors or upvalues changed since the capture")
        if not same_upvalues:
            self.steady = 0
        if self.disabled:
            self.reason = self.disabled
            return EAGER
        if not_capturable is not None:
            self.reason = not_capturable
            return EAGER
        if self.steady >= self.warmup:
            return CAPTURE
        self.reason = f"warming up ({self.steady} of {self.warmup} steady calls)"
        return EAGER

    def drop(self, why: str) -> None:
        """Forget the captured graph (the next calls warm up again)."""
        if self.graph is not None:
            self.invalidations += 1
        self.graph = None
        self.steady = 0
        self.reason = why

    # -- one call ----------------------------------------------------------------------------
    def plan(self, same_upvalues: bool) -> int:
        """Start a call: replay now, or say how the caller runs the function."""
        self.started = GPU_EPOCH[0]
        action = self.decide(same_upvalues, GPU_EPOCH[0], backend.gpus.current, _capturable())
        if action == REPLAY:
            self.replay()
        elif action == CAPTURE:
            try:
                self.begin_capture()
            except Exception as e:  # the device refuses: eager from now on
                self.restore()
                self.disabled = f"capture refused: {e}"
                self.reason = self.disabled
                action = EAGER
        self.mode = action
        return action

    def done(self, ok: bool) -> bool:
        """End a call the caller ran (`ok`: the function returned).  After a capture: True when
        the graph was captured and launched, False when the call must be run again eagerly."""
        if self.mode == CAPTURE:
            self.mode = EAGER
            return self.end_capture(ok)
        self.eager_runs += 1
        if ok and GPU_EPOCH[0] == self.started:
            self.steady += 1
        else:
            self.steady = 0
        return True

    # -- CuPy ------------------------------------------------------------------------------
    def begin_capture(self) -> None:
        import cupy  # noqa: PLC0415

        if self.stream is None:
            self.stream = cupy.cuda.Stream(non_blocking=True)
            # NOTE: memory taken during the capture comes from a pool of the step's own: a
            # block freed during the capture must not go to anyone else while replays write it
            self.pool = cupy.cuda.MemoryPool()
        self.saved_allocator = cupy.cuda.get_allocator()
        cupy.cuda.set_allocator(self.pool.malloc)
        self.stream.__enter__()
        self.stream.begin_capture()
        CAPTURING[0] = True

    def restore(self) -> None:
        """Leave the capture stream and give the process its allocator back."""
        CAPTURING[0] = False
        if self.saved_allocator is not None:
            import cupy  # noqa: PLC0415

            try:
                self.stream.__exit__(None, None, None)
            finally:
                cupy.cuda.set_allocator(self.saved_allocator)
                self.saved_allocator = None

    def end_capture(self, ok: bool) -> bool:
        graph, err = None, ""
        try:
            graph = self.stream.end_capture()
        except Exception as e:  # invalidated by a host sync or an unsupported call
            err = str(e)
        finally:
            self.restore()
        if not ok or graph is None:
            self.disabled = ("the step cannot be captured (it reads values back from the GPU "
                             f"or makes a call CUDA graphs refuse){': ' + err if err else ''}")
            self.reason = self.disabled
            self.steady = 0
            return False
        self.graph = graph
        self.device = backend.gpus.current
        self.epoch = GPU_EPOCH[0]
        self.captures += 1
        self.reason = "captured"
        self.launch()
        if self.epoch != self.started:
            # the captured call resized GPU tensors: it ran (the launch above), but the
            # next call may not look like it; warm up again rather than replay
            self.drop("the captured call resized GPU tensors")
        return True

    def launch(self) -> None:
        import cupy  # noqa: PLC0415

        # on the current stream, so the replay is ordered with the work around it
        self.graph.launch(stream=cupy.cuda.get_current_stream())

    def replay(self) -> None:
        self.launch()
        self.replays += 1

    def stats(self) -> tuple:
        """Counters and state as key, value, ... (Lua makes the table)."""
        return ("eager", self.eager_runs, "captures", self.captures, "replays", self.replays,
                "invalidations", self.invalidations, "captured", self.graph is not None,
                "reason", self.reason)


def graph_new(warmup: Any = None) -> StepGraph:
    """cutorch.graph's state for one step."""
    return StepGraph(2 if warmup is None else int(warmup))


def graph_plan(g: StepGraph, same_upvalues: bool) -> int:
    """0: run the function eagerly, 1: run it under capture, 2: replayed already."""
    return g.plan(bool(same_upvalues))


def graph_done(g: StepGraph, ok: bool) -> bool:
    """The function returned (ok) or raised; False: run this call again eagerly."""
    return g.done(bool(ok))


def graph_reset(g: StepGraph) -> None:
    """step:reset(): drop the captured graph; the step warms up and captures again."""
    g.drop("reset")
    g.disabled = ""


def graph_stats(g: StepGraph) -> tuple:
    """step:stats()."""
    return g.stats()


EXPORTS = {"graph_new": graph_new, "graph_plan": graph_plan, "graph_done": graph_done,
           "graph_reset": graph_reset, "graph_stats": graph_stats}
