"""Crash-safe writes under an output folder: one lock, staged files, an atomic commit.

Every stage that writes under OUT follows the same three steps::

    with OutputLock(out, wait=False):
        recover(out)                         # finish or discard what a killed run left behind
        txn = Transaction(out, run_id)
        path = txn.path("events/date=2026-11-20/part-x.parquet")   # write the file there
        txn.write_bytes("_state/state.json", data)                   # or stage small files
        txn.delete("classified/part-old.parquet")                    # removed at commit
        txn.commit()                                                 # or txn.abort()

Files are first written below ``OUT/_staging/<run_id>/`` with the relative path they will have
under OUT; readers never look there.  ``commit`` fsyncs them, creates every destination folder,
then writes a journal (``OUT/_state/journal/<run_id>.json``) listing the moves and deletions.
Writing the journal is the commit point: before it, a crash leaves only staging files, which the
next ``recover`` deletes; after it, ``recover`` replays the journal (renames are idempotent), so a
committed run always lands in full.  Moves run in the order the files were registered (sorted
per kind: data first, ``_state/`` next, manifests last), so state is updated after the data it
describes.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeline import layout
from pipeline.errors import LockHeldError, OutputError

STAGING = "_staging"
JOURNAL_DIR = "journal"
FAULT_ENV = "MQTRIAGE_FAULT"  # test hook: name of a commit step at which to die (see fault_point)


def fault_point(name: str) -> None:
    """Die at a named step when ``MQTRIAGE_FAULT`` names it (crash tests; inert otherwise)."""
    if os.environ.get(FAULT_ENV) == name:
        os._exit(137)


def fsync_dir(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


FSYNC_THREADS = 16  # fsyncs in flight at once: the device merges them (300 files: 1.07 s one by one, 0.03 s)


def fsync_files(paths: list[Path]) -> None:
    """fsync every file, several at a time (os.fsync releases the GIL); the first OSError is raised."""
    if len(paths) <= 1:
        for path in paths:
            fsync_file(path)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(FSYNC_THREADS, len(paths))) as pool:
        for _ in pool.map(fsync_file, paths):
            pass


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary name, fsync, rename, fsync the folder."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    fsync_dir(target.parent)


def ensure_out(out: str | Path) -> Path:
    """Create OUT if needed; a clear OutputError when it is a file or cannot be written."""
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise OutputError(f"output folder {root} exists and is not a folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {root}: {exc.strerror or exc}") from exc
    if not os.access(root, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {root} is not writable")
    return root


class OutputLock:
    """An exclusive ``flock`` on ``OUT/.mqtriage.lock`` for the duration of a run.

    A second run refuses at once with LockHeldError, or with ``wait=True`` blocks until the first
    one ends.  The kernel drops the lock when the holder dies, so a killed run never leaves it
    stuck; the pid written into the file only serves the error message.

    ``share=True`` (what ``mqtriage run`` uses) lets later OutputLocks on the same folder in the
    same process re-enter it, so one lock spans every stage while each stage function still takes
    its own; without it a second OutputLock behaves as another run and is refused.
    """

    _held: dict[Path, list[int]] = {}  # lock path -> [fd, depth, shareable], this process only

    def __init__(
        self, out: str | Path, wait: bool = False, timeout: float | None = None, share: bool = False
    ) -> None:
        self.root = ensure_out(out)
        self.path = self.root / layout.LOCK
        self.wait = wait
        self.timeout = timeout
        self.share = share
        self._fd: int | None = None

    def acquire(self) -> None:
        held = OutputLock._held.get(self.path)
        if held is not None and held[2]:
            held[1] += 1
            self._fd = held[0]
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot open lock file {self.path}: {exc.strerror or exc}") from exc
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise OutputError(f"cannot lock {self.path}: {exc.strerror or exc}") from exc
                if not self.wait or (deadline is not None and time.monotonic() >= deadline):
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise LockHeldError(
                        f"output folder {self.root} is in use by another mqtriage run{holder}; "
                        "wait for it to finish or pass --wait"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        self._fd = fd
        OutputLock._held[self.path] = [fd, 1, int(self.share)]

    def fileno(self) -> int | None:
        return self._fd

    def release(self) -> None:
        if self._fd is None:
            return
        held = OutputLock._held.get(self.path)
        fd: int = self._fd
        self._fd = None
        if held is not None and held[0] == fd:
            held[1] -= 1
            if held[1] > 0:
                return
            del OutputLock._held[self.path]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" ({text})" if text else ""


def _journal_dir(root: Path) -> Path:
    return root / layout.STATE / JOURNAL_DIR


def _move_rank(rel: str) -> tuple[int, str]:
    """Data first, then state, then manifests: state never describes data that is not there."""
    if rel.startswith(layout.STATE + "/"):
        return (1, rel)
    if rel.startswith(layout.MANIFESTS + "/") or rel == "manifest.json":
        return (2, rel)
    return (0, rel)


class Transaction:
    """Files staged under ``OUT/_staging/<run_id>/`` and committed together (see module doc)."""

    def __init__(self, out: str | Path, run_id: str) -> None:
        self.root = Path(out)
        self.run_id = run_id
        self.staging = self.root / STAGING / run_id
        self._deletes: list[str] = []
        self._done = False
        self._journaled = False
        try:
            self.staging.mkdir(parents=True, exist_ok=False)
        except OSError as exc:
            raise OutputError(f"cannot create staging folder {self.staging}: {exc.strerror or exc}") from exc

    @property
    def journaled(self) -> bool:
        """True once the commit point is passed (the journal exists; recovery finishes it)."""
        return self._journaled

    def path(self, rel: str) -> Path:
        """Where to write the file that will become ``OUT/<rel>`` (parent folders created)."""
        target = self.staging / _check_rel(rel)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create staging folder {target.parent}: {exc.strerror or exc}") from exc
        return target

    def write_bytes(self, rel: str, data: bytes) -> None:
        target = self.path(rel)
        try:
            target.write_bytes(data)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc

    def write_json(self, rel: str, doc: Any) -> None:
        self.write_bytes(rel, (json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n").encode())

    def delete(self, rel: str) -> None:
        """Remove ``OUT/<rel>`` when the transaction commits (e.g. a superseded file)."""
        self._deletes.append(_check_rel(rel))

    def staged(self) -> list[str]:
        found = []
        for dirpath, _dirs, files in os.walk(self.staging):
            for name in files:
                found.append(Path(dirpath, name).relative_to(self.staging).as_posix())
        return sorted(found, key=_move_rank)

    def commit(self) -> list[str]:
        """Make every staged file visible under OUT and apply deletions; returns the moved paths."""
        if self._done:
            raise RuntimeError("transaction already finished")
        moves = self.staged()
        try:
            fsync_files([self.staging / rel for rel in moves])
            for folder in sorted({str(Path(rel).parent) for rel in moves}):
                (self.root / folder).mkdir(parents=True, exist_ok=True)
            _journal_dir(self.root).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.abort()
            raise OutputError(
                f"cannot prepare output under {self.root}: {exc.strerror or exc} ({exc.filename}); "
                "previous output left unchanged"
            ) from exc
        fault_point("before-journal")
        journal = {"run_id": self.run_id, "moves": moves, "deletes": self._deletes}
        try:
            atomic_write_bytes(_journal_dir(self.root) / f"{self.run_id}.json", json.dumps(journal).encode())
        except OSError as exc:
            self.abort()
            raise OutputError(
                f"cannot write commit journal under {self.root}: {exc.strerror or exc}; previous output left unchanged"
            ) from exc
        self._journaled = True
        fault_point("after-journal")
        _roll_forward(self.root, journal)
        self._done = True
        return moves

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        """Leaving the block by an exception (or without commit) drops what was staged."""
        if not self._done:
            self.abort()

    def abort(self) -> None:
        """Drop every staged file; OUT is left exactly as it was.

        After the commit point this does nothing: the journal must be replayed, not undone.
        """
        if self._journaled:
            return
        shutil.rmtree(self.staging, ignore_errors=True)
        _remove_if_empty(self.staging.parent)
        self._done = True


def _check_rel(rel: str) -> str:
    path = Path(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"not a relative path inside OUT: {rel!r}")
    return path.as_posix()


def _remove_if_empty(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass  # not empty or already gone: both fine, nothing to report


def _roll_forward(root: Path, journal: dict[str, Any]) -> None:
    staging = root / STAGING / journal["run_id"]
    touched: set[Path] = set()
    for index, rel in enumerate(journal["moves"]):
        source = staging / rel
        if source.exists():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            touched.add(target.parent)
        if index == len(journal["moves"]) // 2:
            fault_point("mid-moves")
    for rel in journal["deletes"]:
        target = root / rel
        try:
            target.unlink()
            touched.add(target.parent)
        except FileNotFoundError:
            pass  # already deleted by an earlier, interrupted replay
    for folder in sorted(touched):
        fsync_dir(folder)
    fault_point("before-journal-removal")
    (_journal_dir(root) / f"{journal['run_id']}.json").unlink(missing_ok=True)
    fsync_dir(_journal_dir(root))
    shutil.rmtree(staging, ignore_errors=True)
    _remove_if_empty(staging.parent)


def recover(out: str | Path) -> dict[str, list[str]]:
    """Finish committed runs and discard uncommitted ones.  Call with the lock held.

    Returns the run ids replayed and discarded, so callers can report them.
    """
    root = Path(out)
    replayed: list[str] = []
    discarded: list[str] = []
    journal_dir = _journal_dir(root)
    if journal_dir.is_dir():
        for path in sorted(journal_dir.glob("*.json")):
            try:
                journal = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                # The journal is written through a temporary name, so a torn one cannot exist;
                # an unreadable one means someone edited OUT by hand.
                raise OutputError(f"commit journal {path} is unreadable ({exc}); remove it by hand") from exc
            _roll_forward(root, journal)
            replayed.append(journal["run_id"])
        for leftover in journal_dir.glob(".*.tmp-*"):
            leftover.unlink(missing_ok=True)
    staging_root = root / STAGING
    if staging_root.is_dir():
        for run_dir in sorted(staging_root.iterdir()):
            if run_dir.is_dir():
                shutil.rmtree(run_dir, ignore_errors=True)
            else:
                run_dir.unlink()
            discarded.append(run_dir.name)
        _remove_if_empty(staging_root)
    return {"replayed": replayed, "discarded": discarded}


def list_files(root: str | Path, suffix: str = ".parquet") -> Iterable[Path]:
    """Committed files of a dataset folder, sorted (hidden and temporary names excluded)."""
    base = Path(root)
    if not base.is_dir():
        return []
    found: list[Path] = []
    for dirpath, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        found.extend(Path(dirpath, f) for f in files if f.endswith(suffix) and not f.startswith((".", "_")))
    return sorted(found)
