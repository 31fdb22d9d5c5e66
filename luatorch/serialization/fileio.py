"""Byte-level Torch7 files: disk and memory backends, binary and ascii encodings.

`TorchFile` behaves like Torch7's THFile (THDiskFile / THMemoryFile): binary mode writes values
as they sit in memory (native byte order, 8-byte `long` unless `long_size` says 4), ascii mode
prints them with `%d`, `%.9g` (float) or `%.17g` (double), a space between the elements of one
write and a newline after it (auto-spacing).  Every read checks what it is about to allocate
against the bytes left in the file, so a hostile size field never costs memory.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import struct
import sys
from typing import Any, List, Optional

import numpy as np

from luatorch import tensor as _tensor
from luatorch.tensor import Storage, TorchError

# Torch7 element types: numpy dtype (native order) and ascii formatting
ELEM = {
    "Byte": np.dtype(np.uint8),
    "Char": np.dtype(np.int8),
    "Short": np.dtype(np.int16),
    "Int": np.dtype(np.int32),
    "Long": np.dtype(np.int64),
    "Float": np.dtype(np.float32),
    "Double": np.dtype(np.float64),
    "Half": np.dtype(np.float16),
}
_INT_RANGE = {"Short": (-(1 << 15), (1 << 15) - 1), "Int": (-(1 << 31), (1 << 31) - 1),
              "Long": (-(1 << 63), (1 << 63) - 1)}
_FMT = {"Float": "%.9g", "Half": "%.9g", "Double": "%.17g"}

_WS = b" \t\n\v\f\r"
_WS_RE = re.compile(rb"[ \t\n\v\f\r]*")
_INT_RE = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)")
_FLOAT_RE = re.compile(
    rb"[ \t\n\v\f\r]*([+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    rb"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN](?:\([0-9A-Za-z_]*\))?))")
_CHUNK = 1 << 16
_BIG = 1 << 20
_TOKEN_RE = re.compile(rb"[^ \t\n\v\f\r]+")
_INT_CHARS = b"0123456789+- \t\n\v\f\r"
_FLOAT_CHARS = _INT_CHARS + b".eEinfatyINFATY"
_NATIVE = "<" if sys.byteorder == "little" else ">"
MAX_DIMS = 64


class CorruptFileError(TorchError):
    """A Torch7 file that cannot be what it claims (truncated, hostile or damaged)."""


# ------------------------------------------------------------------------------------------------
# Backends: where the bytes live
# ------------------------------------------------------------------------------------------------
class MemoryBackend:
    """A growable buffer kept in a CharStorage, as Torch7's MemoryFile (`size` bytes in use)."""

    MIN_CAP = 1024

    def __init__(self, storage: Optional[Storage] = None, data: Optional[bytes] = None):
        # a buffer of our own starts at MIN_CAP bytes when it grows: from one byte, a thread
        # job's few hundred bytes took ~15 reallocations (~8 us each); a storage the caller
        # gave grows as before, since the caller sees its size
        self.min_cap = self.MIN_CAP if storage is None else 0
        if storage is None:
            n = len(data) if data is not None else 0
            storage = Storage(np.zeros(n + 1, np.int8))
            if data:
                storage.buf[:n] = np.frombuffer(data, np.int8)
            self.size = n
        else:
            self.size = storage.size() - 1
        self.storage = storage
        self._buf: Any = None
        self._mv: Any = None
        self.pos = 0
        self.closed = False

    def _u8(self) -> np.ndarray:
        return self.storage.buf.view(np.uint8)

    def _bytes(self) -> memoryview:
        """The storage's bytes as a memoryview, made again only when its buffer changed: a
        NumPy view and frombuffer per record cost most of a ~9 us write (a thread job whose
        upvalues hold 8 storages writes ~120 records)."""
        buf = self.storage.buf
        if buf is not self._buf:
            self._mv = memoryview(buf).cast("B")
            self._buf = buf
        return self._mv

    def length(self) -> int:
        return self.size

    def tell(self) -> int:
        return self.pos

    def seek(self, p: int) -> bool:
        if p > self.size:
            return False
        self.pos = p
        return True

    def seek_end(self) -> None:
        self.pos = self.size

    def read(self, n: int) -> bytes:
        n = max(0, min(n, self.size - self.pos))
        out = bytes(self._bytes()[self.pos:self.pos + n])
        self.pos += n
        return out

    def readinto(self, mv: memoryview) -> int:
        dst = memoryview(mv).cast("B")
        n = max(0, min(len(dst), self.size - self.pos))
        dst[:n] = self._bytes()[self.pos:self.pos + n]
        self.pos += n
        return n

    def peek(self, n: int) -> bytes:
        n = max(0, min(n, self.size - self.pos))
        return bytes(self._bytes()[self.pos:self.pos + n])

    def skip(self, n: int) -> None:
        self.pos = min(self.pos + n, self.size)

    def _grow(self, need: int) -> None:
        cap = self.storage.size()
        if need < cap:
            return
        self.storage.resize(max(cap + cap // 2, need + 1, self.min_cap))

    def write(self, data: Any) -> int:
        mv = memoryview(data).cast("B")
        n = len(mv)
        if n == 0:
            return 0
        end = self.pos + n
        self._grow(end)
        b = self._bytes()
        b[self.pos:end] = mv
        self.pos = end
        if end > self.size:
            self.size = end
            b[end] = 0
        return n

    def flush(self) -> None:
        pass

    def get_storage(self) -> Storage:
        """The CharStorage holding the contents plus a trailing NUL (Torch7's `storage()`)."""
        if self.storage.size() != self.size + 1:
            self.storage.resize(self.size + 1)
        self._u8()[self.size] = 0
        return self.storage

    def getvalue(self) -> bytes:
        return self._u8()[:self.size].tobytes()

    def close(self) -> None:
        self.closed = True


def _sweep_stale(d: str, base: str) -> None:
    """Remove temporary files of earlier saves to `base` whose process is gone (killed midway)."""
    prefix = f".{base}.tmp"
    try:
        names = os.listdir(d)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        pid, _, rest = name[len(prefix):].partition(".")
        if not (pid.isdigit() and rest.isdigit()) or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # a live process (a concurrent save) still writes it
        except ProcessLookupError:
            pass
        except OSError:
            continue  # alive but another user's
        try:
            os.unlink(os.path.join(d, name))
        except OSError:
            pass


class DiskBackend:
    """A file on disk with our own read buffer (peek/seek for ascii parsing) and write buffer."""

    def __init__(self, path: str, readable: bool, writable: bool, atomic: bool = False):
        self.path = path
        self.atomic_target: Optional[str] = None
        self.closed = False
        if atomic:
            target = os.path.realpath(path)
            d = os.path.dirname(target) or "."
            base = os.path.basename(target)
            # NOTE: refused before anything is created, so a failed save leaves no file behind
            if (not path or os.path.isdir(target) or not os.path.isdir(d)
                    or not os.access(d, os.W_OK | os.X_OK)
                    or (os.path.exists(target) and not os.access(target, os.W_OK))):
                raise TorchError(f"cannot open <{path}> in mode  w")
            _sweep_stale(d, base)
            for i in range(100):
                tmp = os.path.join(d, f".{base}.tmp{os.getpid()}.{i}")
                try:
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                    break
                except FileExistsError:
                    continue
                except OSError:
                    raise TorchError(f"cannot open <{path}> in mode  w") from None
            else:
                raise TorchError(f"cannot open <{path}> in mode  w (no temporary file name left)")
            try:
                os.chmod(tmp, os.stat(target).st_mode & 0o7777)
            except OSError:
                pass
            self.raw = os.fdopen(fd, "wb", buffering=0)
            self.tmp = tmp
            self.atomic_target = target
        elif readable and writable:
            try:
                self.raw = open(path, "r+b", buffering=0)
            except FileNotFoundError:
                self.raw = open(path, "w+b", buffering=0)
        elif writable:
            self.raw = open(path, "wb", buffering=0)
        else:
            self.raw = open(path, "rb", buffering=0)
        self.rbuf = b""
        self.rpos = 0
        self.base = 0          # file offset of rbuf[0] (or of the write buffer's start)
        self.wbuf = bytearray()
        self.size = self._stat_size()

    def _stat_size(self) -> int:
        try:
            return os.fstat(self.raw.fileno()).st_size
        except OSError:
            return 0

    # -- position -------------------------------------------------------------------------------
    def tell(self) -> int:
        if self.wbuf:
            return self.base + len(self.wbuf)
        return self.base + self.rpos

    def length(self) -> int:
        self._flush_w()
        return max(self.size, self._stat_size())

    def _flush_w(self) -> None:
        if self.wbuf:
            self._raw_write(memoryview(self.wbuf))
            self.base += len(self.wbuf)
            self.wbuf = bytearray()
            self.size = max(self.size, self.base)

    def _raw_write(self, mv: memoryview) -> None:
        while len(mv):
            n = self.raw.write(mv)
            if n is None or n <= 0:
                raise OSError("write failed")
            mv = mv[n:]

    def seek(self, p: int) -> bool:
        self._flush_w()
        cur0 = self.base
        if self.rbuf and cur0 <= p <= cur0 + len(self.rbuf):
            self.rpos = p - cur0
            return True
        try:
            self.raw.seek(p)
        except (OSError, ValueError, OverflowError):
            return False
        self.rbuf = b""
        self.rpos = 0
        self.base = p
        return True

    def seek_end(self) -> None:
        self.seek(self.length())

    # -- reading --------------------------------------------------------------------------------
    def _fill(self, n: int) -> None:
        """Make at least n bytes available in rbuf from rpos (fewer at end of file)."""
        avail = len(self.rbuf) - self.rpos
        if avail >= n:
            return
        self._flush_w()
        rest = self.rbuf[self.rpos:]
        self.base += self.rpos
        self.raw.seek(self.base + len(rest))
        want = max(n - len(rest), _CHUNK)
        parts = [rest]
        got = len(rest)
        while got < n:
            chunk = self.raw.read(want)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
            want = n - got
        self.rbuf = b"".join(parts)
        self.rpos = 0

    def peek(self, n: int) -> bytes:
        self._fill(n)
        return self.rbuf[self.rpos:self.rpos + n]

    def skip(self, n: int) -> None:
        self._fill(n)
        self.rpos += min(n, len(self.rbuf) - self.rpos)

    def read(self, n: int) -> bytes:
        if n <= _CHUNK:
            self._fill(n)
            out = self.rbuf[self.rpos:self.rpos + n]
            self.rpos += len(out)
            return out
        buf = bytearray(n)
        k = self.readinto(memoryview(buf))
        return bytes(buf[:k])

    def readinto(self, mv: memoryview) -> int:
        mv = mv.cast("B") if mv.format != "B" else mv
        n = len(mv)
        self._flush_w()
        avail = len(self.rbuf) - self.rpos
        k = min(avail, n)
        mv[:k] = self.rbuf[self.rpos:self.rpos + k]
        self.rpos += k
        if k == n:
            return n
        # the rest straight from the file into the destination (no intermediate copy)
        self.base += len(self.rbuf)
        self.rbuf = b""
        self.rpos = 0
        self.raw.seek(self.base)
        while k < n:
            got = self.raw.readinto(mv[k:])
            if not got:
                break
            k += got
            self.base += got
        return k

    # -- writing --------------------------------------------------------------------------------
    def write(self, data: Any) -> int:
        mv = memoryview(data).cast("B")
        n = len(mv)
        if self.rbuf or self.rpos:
            p = self.base + self.rpos
            self.rbuf = b""
            self.rpos = 0
            self.base = p
            self.raw.seek(p)
        if n >= _CHUNK:
            self._flush_w()
            self._raw_write(mv)
            self.base += n
            self.size = max(self.size, self.base)
        else:
            self.wbuf += mv
            if len(self.wbuf) >= _CHUNK:
                self._flush_w()
        return n

    def flush(self) -> None:
        self._flush_w()

    def close(self, commit: bool = True) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if commit:
                self._flush_w()
                if self.atomic_target is not None:
                    os.fsync(self.raw.fileno())
        finally:
            self.raw.close()
        if self.atomic_target is not None:
            if commit:
                os.replace(self.tmp, self.atomic_target)
                try:
                    dfd = os.open(os.path.dirname(self.atomic_target) or ".", os.O_RDONLY)
                    try:
                        os.fsync(dfd)
                    finally:
                        os.close(dfd)
                except OSError:
                    pass
            else:
                try:
                    os.unlink(self.tmp)
                except OSError:
                    pass

    def abort(self) -> None:
        """Drop an atomic write: the temporary file goes, the target stays as it was."""
        self.close(commit=self.atomic_target is None)

    def __del__(self) -> None:
        try:
            if not self.closed:
                # a forgotten atomic save is not committed; a plain file is flushed as C would
                self.close(commit=self.atomic_target is None)
        except Exception:
            pass


# ------------------------------------------------------------------------------------------------
# The file
# ------------------------------------------------------------------------------------------------
class TorchFile:
    """Torch7's File state: mode flags, error flag, and typed reads/writes on a backend."""

    def __init__(self, backend: Any, name: str, readable: bool, writable: bool,
                 quiet: bool = False):
        self.backend = backend
        self.name = name
        self.readable = readable
        self.writable = writable
        self.quiet = bool(quiet)
        self.binary = False
        self.autospacing = True
        self.has_error = False
        self.long_size = 0
        self.order = _NATIVE
        self.is_disk = isinstance(backend, DiskBackend)

    # -- helpers --------------------------------------------------------------------------------
    def _open(self) -> Any:
        if self.backend is None or self.backend.closed:
            raise TorchError("attempt to use a closed file")
        return self.backend

    def _check_read(self) -> Any:
        b = self._open()
        if not self.readable:
            raise TorchError("attempt to read in a write-only file")
        return b

    def _check_write(self) -> Any:
        b = self._open()
        if not self.writable:
            raise TorchError("attempt to write in a read-only file")
        return b

    def pos(self) -> int:
        return self._open().tell()

    def remaining(self) -> int:
        b = self._open()
        return max(0, b.length() - b.tell())

    def error(self, msg: str) -> None:
        """Set the error flag; raise unless the file is quiet."""
        self.has_error = True
        if not self.quiet:
            raise TorchError(f"{self.name}: {msg}")

    def corrupt(self, pos: Optional[int], msg: str) -> CorruptFileError:
        """The one-line error for a damaged or hostile file (`pos`: 0-based byte offset)."""
        if pos is None:
            pos = self.pos()
        msg = " ".join(str(msg).split("\n"))
        return CorruptFileError(f"{self.name}: corrupt file at byte {pos}: {msg}")

    def _dtype(self, kind: str) -> np.dtype:
        dt = ELEM[kind]
        if kind == "Long" and self.long_size == 4:
            dt = np.dtype(np.int32)
        if dt.itemsize > 1 and self.order != _NATIVE:
            dt = dt.newbyteorder(self.order)
        return dt

    def elem_size(self, kind: str) -> int:
        """Bytes per element in binary mode (the least an ascii element can take is 1)."""
        if not self.binary:
            return 1
        return self._dtype(kind).itemsize

    # -- reading --------------------------------------------------------------------------------
    def read_array(self, kind: str, n: int) -> np.ndarray:
        """Up to n elements (fewer at end of file, with the error flag set / raised)."""
        n = int(n)
        if n < 0:
            raise TorchError("bad argument: negative number of elements")
        out = self.read_raw(kind, n)
        if out.shape[0] != n:
            self.error(f"read error at byte {self.pos()}: read {out.shape[0]} blocks "
                       f"instead of {n}")
        return out

    def read_raw(self, kind: str, n: int) -> np.ndarray:
        """Up to n elements, never more than the bytes left justify; no error handling."""
        b = self._check_read()
        if n <= 0:
            return np.empty(0, ELEM[kind])
        if self.binary:
            dt = self._dtype(kind)
            k = min(n, self.remaining() // dt.itemsize)
            raw = np.empty(k, dt)
            got = b.readinto(memoryview(raw).cast("B")) // dt.itemsize if k else 0
            out = raw[:got]
            if dt != ELEM[kind]:
                out = out.astype(ELEM[kind])
            return out
        return self._ascii_read(kind, min(n, self.remaining()))

    def read_binary_scalar(self, kind: str) -> Any:
        """One element of a binary file; the caller has checked that its bytes are there.
        A memory file's goes through struct: a one-element NumPy read cost ~10 us, and a
        thread job's round trip reads ~35 of them (type tags, sizes, indices)."""
        b = self._check_read()
        dt = self._dtype(kind)
        p = _packer(dt) if isinstance(b, MemoryBackend) else None
        if p is None:
            return self.read_raw(kind, 1)[0].item()
        return p[0].unpack(b.read(dt.itemsize))[0]

    def read_scalar(self, kind: str) -> Any:
        a = self.read_array(kind, 1)
        if a.shape[0] == 0:
            return 0
        return a.item()

    def _ascii_read(self, kind: str, n: int) -> np.ndarray:
        b = self._check_read()
        if kind in ("Byte", "Char"):
            data = b.read(n)
            out = np.frombuffer(data, ELEM[kind]).copy()
        else:
            isfloat = kind in ("Float", "Double", "Half")
            parts = self._scan_fast(kind, isfloat, n) if n > 64 else []
            got = sum(p.shape[0] for p in parts)
            if got < n or not parts:
                vals = self._scan(_FLOAT_RE if isfloat else _INT_RE, n - got)
                parts.append(self._convert(kind, vals))
            out = parts[0] if len(parts) == 1 else np.concatenate(parts)
        if self.autospacing and out.shape[0] == n and b.peek(1) == b"\n":
            b.skip(1)
        return out

    def _scan_fast(self, kind: str, isfloat: bool, n: int) -> List[np.ndarray]:
        """Bulk ascii numbers: whole windows of plain tokens converted by NumPy at once.

        Stops (leaving the rest to the exact, per-number `_scan`) at anything unusual: a
        character no number uses, a token NumPy will not convert, a value out of range.
        """
        b = self.backend
        allowed = _FLOAT_CHARS if isfloat else _INT_CHARS
        parts: List[np.ndarray] = []
        got = 0
        while n - got > 64:
            win = b.peek(_BIG)
            if not win:
                break
            eof = len(win) < _BIG
            if eof:
                cut = len(win)
            else:
                cut = max(win.rfind(c, 0, len(win)) for c in (b" ", b"\n", b"\t", b"\r"))
                if cut <= 0:
                    break
            span = win[:cut]
            if span.translate(None, allowed):
                break
            toks = span.split()
            end = cut
            if len(toks) > n - got:
                toks = toks[:n - got]
                m = next(itertools.islice(_TOKEN_RE.finditer(span), len(toks) - 1, None))
                end = m.end()
            if not toks:
                break
            try:
                if isfloat:
                    arr = np.array(toks).astype(np.float64).astype(ELEM[kind])
                else:
                    arr = np.array(toks).astype(np.int64)
                    lo, hi = _INT_RANGE[kind]
                    if arr.size and (arr.min() < lo or arr.max() > hi):
                        break
                    arr = arr.astype(ELEM[kind])
            except (ValueError, OverflowError, TypeError):
                break
            b.skip(end)
            parts.append(arr)
            got += arr.shape[0]
        return parts

    def _scan(self, rx: Any, n: int) -> List[bytes]:
        """Up to n number tokens from the current position (fscanf-like: skips blanks first)."""
        b = self.backend
        toks: List[bytes] = []
        win = b.peek(_CHUNK)
        eof = len(win) < _CHUNK
        off = 0
        while len(toks) < n:
            if not eof and len(win) - off < 512:
                b.skip(off)
                win = b.peek(_CHUNK)
                eof = len(win) < _CHUNK
                off = 0
            m = rx.match(win, off)
            if m is None:
                ws = _WS_RE.match(win, off).end()
                if ws == len(win) and not eof:
                    b.skip(ws)
                    win = b.peek(_CHUNK)
                    eof = len(win) < _CHUNK
                    off = 0
                    continue
                break
            if m.end() == len(win) and not eof:
                # the token may go on past the window: look further
                b.skip(off)
                want = len(win) - off + _CHUNK
                win = b.peek(want)
                eof = len(win) < want
                off = 0
                continue
            toks.append(m.group(1))
            off = m.end()
        b.skip(off)
        return toks

    @staticmethod
    def _convert(kind: str, toks: List[bytes]) -> np.ndarray:
        if kind in ("Float", "Double", "Half"):
            vals = []
            for t in toks:
                try:
                    vals.append(float(t))
                except ValueError:
                    vals.append(math.nan)  # nan(...) forms
            return np.array(vals, dtype=np.float64).astype(ELEM[kind])
        lo, hi = _INT_RANGE[kind]
        ints = []
        for t in toks:
            v = int(t)
            if not lo <= v <= hi:
                break
            ints.append(v)
        return np.array(ints, dtype=ELEM[kind])

    def read_chars(self, n: int) -> bytes:
        """n raw bytes (Char storage semantics: in ascii mode a trailing newline is eaten)."""
        b = self._check_read()
        data = b.read(n) if n > 0 else b""
        if len(data) != n:
            self.error(f"read error at byte {b.tell()}: read {len(data)} blocks instead of {n}")
        elif n > 0 and not self.binary and self.autospacing and b.peek(1) == b"\n":
            b.skip(1)
        return data

    def read_string(self, fmt: str) -> bytes:
        """readString('*a') or ('*l')."""
        b = self._check_read()
        if not (len(fmt) >= 2 and fmt[0] == "*" and fmt[1] in "al"):
            raise TorchError("bad argument #1 to 'readString' (format must be '*a' or '*l')")
        if b.peek(1) == b"":
            self.error(f"read error at byte {b.tell()}: read 0 blocks instead of 1")
            return b""
        if fmt[1] == "a":
            parts = []
            while True:
                chunk = b.read(_CHUNK * 16)
                if not chunk:
                    break
                parts.append(chunk)
            return b"".join(parts)
        parts = []
        while True:
            win = b.peek(_CHUNK)
            if not win:
                break
            i = win.find(b"\n")
            if i >= 0:
                parts.append(win[:i])
                b.skip(i + 1)
                break
            parts.append(win)
            b.skip(len(win))
        return b"".join(parts)

    # -- writing --------------------------------------------------------------------------------
    def write_array(self, kind: str, arr: np.ndarray) -> int:
        b = self._check_write()
        n = int(arr.shape[0])
        if n == 0:
            return 0
        if self.binary:
            dt = self._dtype(kind)
            a = np.ascontiguousarray(arr)
            if a.dtype != dt:
                a = a.astype(dt)
            b.write(memoryview(a).cast("B"))
            return n
        if kind in ("Byte", "Char"):
            b.write(memoryview(np.ascontiguousarray(arr)).cast("B"))
        else:
            sep = " " if self.autospacing else ""
            b.write(sep.join(_format_values(kind, arr)).encode("ascii"))
        if self.autospacing:
            b.write(b"\n")
        return n

    def write_scalar(self, kind: str, v: Any) -> None:
        # binary files take most scalars (object headers, sizes, numbers in tables) through
        # struct: building a one-element NumPy array cost ~20 us a scalar (a thread job's
        # serialization wrote ~20 of them)
        if self.binary and isinstance(v, (int, float)):
            packed = _packed(self._dtype(kind), v)
            if packed is not None:
                self._check_write().write(packed)
                return
        self.write_array(kind, _scalar_array(kind, v))

    def write_raw(self, data: Any) -> int:
        """writeString: bytes as they are, no spacing."""
        b = self._check_write()
        return b.write(data)

    def write_chars(self, data: bytes) -> int:
        """A Char storage's bytes (ascii: followed by a newline when auto-spacing)."""
        b = self._check_write()
        if not data:
            return 0
        b.write(data)
        if not self.binary and self.autospacing:
            b.write(b"\n")
        return len(data)

    # -- control --------------------------------------------------------------------------------
    def seek(self, p: int) -> None:
        b = self._open()
        if p < 0 or not b.seek(p):
            self.error(f"unable to seek to position {p}")

    def seek_end(self) -> None:
        self._open().seek_end()

    def synchronize(self) -> None:
        self._open().flush()

    def close(self) -> None:
        b = self._open()
        b.close()

    def abort(self) -> None:
        b = self.backend
        if b is not None and not b.closed:
            if isinstance(b, DiskBackend):
                b.abort()
            else:
                b.close()

    def is_opened(self) -> bool:
        return self.backend is not None and not self.backend.closed


_STRUCT_CODES = {("i", 1): "b", ("i", 2): "h", ("i", 4): "i", ("i", 8): "q",
                 ("u", 1): "B", ("u", 2): "H", ("u", 4): "I", ("u", 8): "Q",
                 ("f", 2): "e", ("f", 4): "f", ("f", 8): "d", ("b", 1): "?"}
_PACKERS: dict = {}


def _packer(dt: np.dtype) -> Optional[tuple]:
    """(struct, integer min, modulus) for a scalar type, None where struct cannot write it."""
    got = _PACKERS.get(dt)
    if got is None:
        code = _STRUCT_CODES.get((dt.kind, dt.itemsize))
        if code is None or dt.kind == "b":
            got = (None, 0, 0)
        else:
            order = ">" if dt.byteorder == ">" or (dt.byteorder == "=" and _NATIVE == ">") \
                else "<"
            lo, mod = 0, 0
            if dt.kind in "iu":
                info = np.iinfo(dt)
                lo, mod = int(info.min), 1 << (8 * dt.itemsize)
            got = (struct.Struct(order + code), lo, mod)
        _PACKERS[dt] = got
    return got if got[0] is not None else None


def _packed(dt: np.dtype, v: Any) -> Optional[bytes]:
    """`v` as the bytes of one element of `dt`, cast as C casts; None to take the array path
    (NaN, infinities or overflow into an integer or a narrower float)."""
    p = _packer(dt)
    if p is None:
        return None
    st, lo, mod = p
    if mod:
        if isinstance(v, float):
            if v != v or v in (math.inf, -math.inf):
                return None
            v = int(v)
        return st.pack(((v - lo) % mod) + lo)
    try:
        return st.pack(float(v))
    except (OverflowError, struct.error):
        return None


def _scalar_array(kind: str, v: Any) -> np.ndarray:
    """A one-element array of `kind` from a Lua number, converted the way C casts would."""
    dt = ELEM[kind]
    if dt.kind in "iu":
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, float):
            if math.isnan(v) or math.isinf(v):
                v = 0
            v = int(v)
        info = np.iinfo(dt)
        v = ((int(v) - int(info.min)) % (1 << (8 * dt.itemsize))) + int(info.min)
        return np.array([v], dt)
    with np.errstate(over="ignore"):
        return np.array([v], np.float64).astype(dt)


def _c_float(v: float, fmt: str) -> str:
    if v != v:
        return "-nan" if math.copysign(1.0, v) < 0 else "nan"
    return fmt % v


def _format_values(kind: str, arr: np.ndarray) -> List[str]:
    """printf-identical text for each element (`%d`, `%.9g` or `%.17g`)."""
    if kind in _FMT:
        fmt = _FMT[kind]
        vals = arr.astype(np.float64).tolist()
        if np.isnan(arr).any():
            return [_c_float(v, fmt) for v in vals]
        return [fmt % v for v in vals]
    return [str(v) for v in arr.tolist()]


def open_disk(path: str, mode: str = "r", quiet: bool = False) -> Optional[TorchFile]:
    """torch.DiskFile(path, mode, quiet): None when quiet and the file cannot be opened."""
    if mode not in ("r", "w", "rw"):
        raise TorchError("bad argument #2 to 'DiskFile' (file mode should be 'r','w' or 'rw')")
    readable = "r" in mode
    writable = "w" in mode
    try:
        backend = DiskBackend(path, readable, writable)
    except OSError:
        if quiet:
            return None
        m = ("r" if readable else " ") + ("w" if writable else " ")
        raise TorchError(f"cannot open <{path}> in mode {m}") from None
    return TorchFile(backend, path, readable, writable, quiet)


def open_atomic(path: str) -> TorchFile:
    """A write-only disk file that replaces `path` only when closed successfully."""
    try:
        backend = DiskBackend(path, False, True, atomic=True)
    except OSError as e:
        raise TorchError(f"cannot open <{path}> in mode  w ({e.strerror or e})") from None
    return TorchFile(backend, path, False, True)


def open_memory(storage: Optional[Storage] = None, mode: str = "rw",
                data: Optional[bytes] = None, name: str = "MemoryFile") -> TorchFile:
    """torch.MemoryFile([storage,] mode)."""
    if mode not in ("r", "w", "rw"):
        raise TorchError("bad argument to 'MemoryFile' (file mode should be 'r','w' or 'rw')")
    if storage is not None:
        if storage.dtype != np.int8:
            raise TorchError("bad argument #1 to 'MemoryFile' (torch.CharStorage expected)")
        if storage.size() == 0 or storage.buf[storage.size() - 1] != 0:
            raise TorchError("bad argument #1 to 'MemoryFile' "
                             "(provided CharStorage must be terminated by 0)")
    backend = MemoryBackend(storage, data)
    return TorchFile(backend, name, "r" in mode, "w" in mode)


def adopt(st: Storage, arr: np.ndarray) -> None:
    """Make storage `st` hold `arr` (same dtype), every view following."""
    if arr.dtype != st.dtype:
        arr = arr.astype(st.dtype)
    st.buf = st.device.send(arr) if st.device.xp is not np else arr
    _tensor._track(arr.nbytes)
    for t in list(st.views):
        t._refresh()


__all__ = ["ELEM", "MAX_DIMS", "CorruptFileError", "TorchFile", "MemoryBackend", "DiskBackend",
           "open_disk", "open_atomic", "open_memory", "adopt"]
