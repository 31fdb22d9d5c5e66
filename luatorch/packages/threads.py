"""The Python half of the `threads` package: pools of worker LuaJIT states, one per Python
thread, trading serialized jobs with the main state; and the Mutex and Condition they share.

Every state lives in this one process, so a job crosses as the Python handle of a CharStorage
(its serialization), and under `threads.sharedserialize` a tensor crosses as its own Python
handle: both sides then hold the same NumPy buffer.  lupa releases the GIL while Lua runs, and
NumPy and Pillow release it in their heavy work, so workers overlap the main thread.
"""

from __future__ import annotations

import collections
import itertools
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from luatorch import backend, blas_threads
from luatorch import tensor as _tensor

_ids = itertools.count(1)
_pools: Dict[int, "Pool"] = {}
_shared: Dict[int, Any] = {}
# NOTE: worker states are kept for the life of the process: closing one (lua_close) from the
# Python collector in another thread crashed LuaJIT here (seen at exit after terminate).
_retired: List[Any] = []
_mutexes: Dict[int, threading.Lock] = {}
_conds: Dict[int, "_Condition"] = {}
# NOTE: building a Runtime rewrites process-wide state (the GC hook, the GPU registry): one at
# a time, and that state is put back afterwards.
_build = threading.Lock()


class _GcHooks:
    """The tensor allocator's collection hook, per thread: a worker must collect its own state,
    never the main one, whose lock its running script holds."""

    def __init__(self, default: Optional[Callable]) -> None:
        self.default = default
        self.by_thread: Dict[int, Callable] = {}
        # the allocator's collection epoch each thread's state was last collected at
        self.seen: Dict[int, int] = {}

    def __call__(self) -> None:
        tid = threading.get_ident()
        self.seen[tid] = _tensor._alloc["epoch"]
        fn = self.by_thread.get(tid, self.default)
        if fn is not None:
            fn()

    def catch_up(self) -> None:
        """Collect this thread's state if another state's allocations ran the collector since
        this one last ran: the buffers that piled up may be garbage here (a worker's batch
        dropped by the training state), and freed late they come back as fresh pages that
        fault in (~5 ms a 10 MB batch here).  Call only where this thread's state is idle or
        inside a door call."""
        tid = threading.get_ident()
        epoch = _tensor._alloc["epoch"]
        last = self.seen.get(tid)
        if last is None:
            self.seen[tid] = epoch
        elif last != epoch:
            self()


_hooks = _GcHooks(None)


def _install_hooks() -> None:
    """Put the per-thread hook in place, keeping a newer main runtime's hook as the default."""
    hook = _tensor._gc_hook
    if not hook or hook[0] is not _hooks:
        _hooks.default = hook[0] if hook else None
        hook[:] = [_hooks]


def _new_state() -> Any:
    """A Runtime for the calling thread, its collector hooked to this thread's allocations."""
    from luatorch.runtime import Runtime

    with _build:
        current = backend.gpus.current
        default = _hooks.default
        rt = Runtime(virtual_gpus=backend.gpus.virtual)
        backend.gpus.current = current
        collect = rt.lua.eval("collectgarbage")
        _hooks.by_thread[threading.get_ident()] = lambda: (collect("collect"),
                                                           collect("collect"))
        _tensor._gc_hook[:] = [_hooks]
        _hooks.default = default
    return rt


class Pool:
    """N worker states fed from one shared queue and one queue per worker (specific mode)."""

    def __init__(self, n: int, mode: str) -> None:
        self.n = n
        self.mode = mode
        self.capacity = max(n, 1)
        self.cv = threading.Condition()
        self.shared: collections.deque = collections.deque()
        self.own: List[collections.deque] = [collections.deque() for _ in range(n)]
        self.results: collections.deque = collections.deque()
        self.closing = False
        self.failed: Optional[str] = None
        self.ready = 0
        _install_hooks()
        blas_threads.lend(n)
        self.lent = n
        self.threads = [threading.Thread(target=self._work, args=(i + 1,), daemon=True,
                                         name=f"luatorch-threads-{i + 1}") for i in range(n)]
        for t in self.threads:
            t.start()
        with self.cv:
            while self.ready < n and self.failed is None:
                self.cv.wait()
        if self.failed is not None:
            self.close()
            raise RuntimeError(self.failed)

    def _state(self, tid: int) -> Tuple[Any, Any]:
        rt = _new_state()
        run = rt.call(rt.eval("require('threads')._worker"), tid, self.mode)
        return rt, run

    def _work(self, tid: int) -> None:
        try:
            rt, run = self._state(tid)
        except Exception as e:  # noqa: BLE001  (reported to the main thread as one line)
            with self.cv:
                self.failed = f"cannot start thread {tid}: {e}"
                self.cv.notify_all()
            return
        with self.cv:
            _retired.append(rt)
            self.ready += 1
            self.cv.notify_all()
        queue = self.own[tid - 1]
        while True:
            with self.cv:
                while not queue and not self.shared and not self.closing:
                    self.cv.wait()
                if self.closing and not queue and not self.shared:
                    break
                cbid, payload = (queue or self.shared).popleft()
                self.cv.notify_all()
            _hooks.catch_up()
            try:
                ok, out = rt._unpack3(run(payload))[:2]
            except Exception as e:  # noqa: BLE001  (a failure of the state itself)
                ok, out = False, str(e)
            with self.cv:
                self.results.append((bool(ok), out, cbid, tid))
                self.cv.notify_all()
        _hooks.by_thread.pop(threading.get_ident(), None)
        _hooks.seen.pop(threading.get_ident(), None)

    def put(self, tid: int, cbid: int, payload: Any) -> None:
        with self.cv:
            (self.own[tid - 1] if tid > 0 else self.shared).append((cbid, payload))
            self.cv.notify_all()

    def accepts(self, tid: int) -> bool:
        with self.cv:
            return len(self.own[tid - 1] if tid > 0 else self.shared) < self.capacity

    def take(self) -> Tuple[bool, Any, int, int]:
        with self.cv:
            while not self.results:
                # NOTE: a timed wait, so that Ctrl-C reaches a main thread waiting here
                self.cv.wait(0.1)
            return self.results.popleft()

    def close(self) -> None:
        with self.cv:
            self.closing = True
            self.cv.notify_all()
            lent, self.lent = self.lent, 0
        blas_threads.unlend(lent)
        me = threading.current_thread()
        for t in self.threads:
            if t is not me and t.is_alive():
                t.join()


class _Thread:
    """threads.Thread(code): one more state, in a thread of its own, running `code` once."""

    def __init__(self, code: str) -> None:
        self.code = code
        _install_hooks()
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name="luatorch-thread")
        self.thread.start()

    def _run(self) -> None:
        try:
            rt = _new_state()
        except Exception as e:  # noqa: BLE001  (said as Torch7's thread said it)
            print(f"THREAD FATAL ERROR: could not create lua state ({e})", flush=True)
            return
        _retired.append(rt)
        try:
            rt.call(rt.eval("require('threads')._lowlevel"), self.code)
        finally:
            _hooks.by_thread.pop(threading.get_ident(), None)
            _hooks.seen.pop(threading.get_ident(), None)


_threads: Dict[int, _Thread] = {}


def thr_thread_new(code: str) -> int:
    """Start a thread running Lua `code` in a new state; returns its id."""
    key = next(_ids)
    _threads[key] = _Thread(str(code))
    return key


def thr_thread_free(key: int) -> None:
    """Wait for thread `key` to finish and forget it."""
    t = _threads.pop(int(key), None)
    if t is not None:
        while t.thread.is_alive():
            t.thread.join(0.1)            # NOTE: timed, so that Ctrl-C reaches the main thread


def thr_pool_new(n: int, mode: str) -> int:
    """Start a pool of `n` worker states using serialization package `mode`; returns its id."""
    pid = next(_ids)
    _pools[pid] = Pool(int(n), str(mode))
    return pid


def thr_put(pid: int, tid: int, cbid: int, payload: Any) -> None:
    """Queue a serialized job for worker `tid` (0: any worker)."""
    _install_hooks()
    _pools[pid].put(int(tid), int(cbid), payload)


def thr_accepts(pid: int, tid: int) -> bool:
    """Whether the queue of worker `tid` (0: the shared one) has room."""
    return _pools[pid].accepts(int(tid))


def thr_take(pid: int) -> Tuple[bool, Any, int, int]:
    """The next finished job: ok, serialized results or error message, callback id, worker."""
    got = _pools[pid].take()
    _hooks.catch_up()
    return got


def thr_terminate(pid: int) -> None:
    """Stop the pool's workers once their queues are empty, and wait for them."""
    pool = _pools.pop(pid, None)
    if pool is not None:
        pool.close()


def thr_share(h: Any) -> int:
    """Keep a tensor or storage handle for another state; returns its ticket."""
    key = next(_ids)
    _shared[key] = h
    return key


def thr_claim(key: int) -> Any:
    """The handle kept under `key` (each ticket is claimed once)."""
    return _shared.pop(int(key))


class _Condition:
    """A condition variable over any of our mutexes (waiters queue their own lock)."""

    def __init__(self) -> None:
        self.waiters: collections.deque = collections.deque()
        self.guard = threading.Lock()

    def wait(self, mutex: threading.Lock) -> None:
        waiter = threading.Lock()
        waiter.acquire()
        with self.guard:
            self.waiters.append(waiter)
        mutex.release()
        try:
            waiter.acquire()
        finally:
            mutex.acquire()

    def signal(self, all_: bool = False) -> None:
        with self.guard:
            while self.waiters:
                self.waiters.popleft().release()
                if not all_:
                    break


def thr_mutex_new() -> int:
    """A new mutex; returns its id."""
    key = next(_ids)
    _mutexes[key] = threading.Lock()
    return key


def thr_mutex_lock(key: int) -> None:
    """Lock mutex `key`, waiting as long as another thread holds it."""
    _mutexes[int(key)].acquire()


def thr_mutex_unlock(key: int) -> None:
    """Unlock mutex `key`."""
    _mutexes[int(key)].release()


def thr_exists(kind: str, key: int) -> bool:
    """Whether a mutex ('mutex') or condition ('cond') with this id exists."""
    return int(key) in (_mutexes if kind == "mutex" else _conds)


def thr_free(kind: str, key: int) -> None:
    """Forget a mutex or condition."""
    (_mutexes if kind == "mutex" else _conds).pop(int(key), None)


def thr_cond_new() -> int:
    """A new condition variable; returns its id."""
    key = next(_ids)
    _conds[key] = _Condition()
    return key


def thr_cond_wait(key: int, mutex: int) -> None:
    """Unlock `mutex`, wait for a signal on condition `key`, lock `mutex` again."""
    _conds[int(key)].wait(_mutexes[int(mutex)])


def thr_cond_signal(key: int, all_: bool = False) -> None:
    """Wake one waiter of condition `key` (every waiter when `all_`)."""
    _conds[int(key)].signal(bool(all_))


class _Queue:
    """A bounded FIFO of serialized jobs shared by every state (threads.Queue)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: collections.deque = collections.deque()
        self.cv = threading.Condition()

    def put(self, payload: Any) -> None:
        with self.cv:
            while len(self.items) >= self.size:
                self.cv.wait(0.1)         # NOTE: timed, so that Ctrl-C reaches a waiting main
            self.items.append(payload)
            self.cv.notify_all()

    def take(self) -> Any:
        with self.cv:
            while not self.items:
                self.cv.wait(0.1)
            payload = self.items.popleft()
            self.cv.notify_all()
            return payload


_queues: Dict[int, _Queue] = {}


def thr_queue_new(size: int) -> int:
    """A new job queue holding at most `size` jobs; returns its id."""
    key = next(_ids)
    _queues[key] = _Queue(int(size))
    return key


def _queue(key: int) -> _Queue:
    q = _queues.get(int(key))
    if q is None:
        raise _tensor.TorchError(f"threads.Queue: no queue with id {key}")
    return q


def thr_queue_put(key: int, payload: Any) -> None:
    """Append a serialized job to queue `key`, waiting while it is full."""
    _queue(key).put(payload)


def thr_queue_take(key: int) -> Any:
    """Remove and return the oldest job of queue `key`, waiting while it is empty."""
    return _queue(key).take()


def thr_queue_count(key: int) -> int:
    """How many jobs queue `key` holds."""
    q = _queue(key)
    with q.cv:
        return len(q.items)


class _Counter:
    """tds.AtomicCounter's value, outside every Lua state, so that states sharing it under
    threads.sharedserialize count together."""

    __slots__ = ("value", "lock")

    def __init__(self, value: int) -> None:
        self.value = value
        self.lock = threading.Lock()


def thr_counter_new(value: float = 0) -> _Counter:
    """A new counter holding `value`."""
    return _Counter(int(value))


def thr_counter_inc(c: _Counter) -> int:
    """Add one; the value before."""
    with c.lock:
        v = c.value
        c.value = v + 1
    return v


def thr_counter_get(c: _Counter) -> int:
    """The counter's value."""
    return c.value


def thr_counter_set(c: _Counter, value: float) -> None:
    """Set the counter's value."""
    with c.lock:
        c.value = int(value)


EXPORTS = {name: fn for name, fn in list(globals().items())
           if name.startswith("thr_") and callable(fn)}
