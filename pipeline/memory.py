"""Give freed memory back to the system between pieces of work.

Arrow's default pool (mimalloc or jemalloc) and glibc's malloc keep the pages of freed buffers for
reuse, so a process that reads a table piece by piece still grows to the sum of its pieces' worst
moments.  ``release_unused`` trims both: the Arrow pool always, glibc's heap where the C library
has ``malloc_trim`` (elsewhere - musl, macOS - there is nothing of that kind to trim).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
from collections.abc import Callable, Iterator

import pyarrow as pa


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):   # no such C library or no malloc_trim in it: nothing to trim
        return None


_MALLOC_TRIM = _malloc_trim()


def release_unused(collect: bool = False) -> None:
    """Trim the Arrow pool and the C heap; ``collect`` first runs Python's cycle collector."""
    if collect:
        gc.collect()
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


@contextlib.contextmanager
def system_arrow_pool() -> Iterator[None]:
    """Arrow allocates from the C library's malloc inside the block, its default pool again after it.

    Reading many row groups through mimalloc (pyarrow's default on Linux) leaves ~100 MB of its
    pages resident even after ``release_unused``; malloc's freed pages go back with ``malloc_trim``.
    Buffers keep the pool they came from, so changing it in between is safe."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
