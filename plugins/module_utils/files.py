# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one writer for every file the collection writes (reports, exports).

A file is written either at an exact ``path`` or under a new name in a ``directory``
(``<prefix>-<UTC time><suffix>``, never overwritten). In both cases:

- the last path component is never followed when it is a symbolic link; in directory
  mode the directory itself may not be a link either (links in parent components are fine);
- the content goes to a temporary file in the destination directory, created with
  ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode 0600 whatever the umask, written and synced,
  then renamed (``path``) or hard-linked to a name nobody holds yet (``directory``); the
  directory is synced last. The destination never holds a partial or empty file, and the
  temporary file is removed on any error;
- an existing file at ``path`` is replaced only when it is a regular file of the running user.

``remove_file`` removes a file at ``path`` under the same rules (a regular file of the running user,
never through a link), for the files the collection writes only for the time of a run.

``check_destination`` runs the same checks and creates (and removes at once) the same kind
of temporary file that ``write_file`` writes through, so a destination that passes the check
can be written. Every error is a ``FileWriteError`` whose message starts with the label
(the name of the option or variable the user set) and names the path.
"""

import datetime
import errno
import os
import secrets
import stat
import unicodedata
from typing import List
from typing import NamedTuple
from typing import Optional
from typing import Tuple
from typing import Union

DEFAULT_PREFIX = "report"
# How many names directory mode tries (<name>, <name>-1, ... <name>-999) before it gives up.
MAX_COLLISIONS = 1000
# The temporary file's name keeps this much of the final name, so that it stays within NAME_MAX.
_TEMP_STEM = 64
_TEMP_ATTEMPTS = 100
_TEMP_FLAGS = os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
# fsync on a directory is refused by a few file systems; the file itself is synced already.
_DIR_SYNC_UNSUPPORTED = (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF)
FILE_MODE = 0o600


class FileWriteError(Exception):
    """A destination that must not or cannot be written; the message names the label and the path."""


class Destination(NamedTuple):
    """Where to write: ``path`` (exactly this file) or ``directory`` + ``prefix`` + ``suffix`` (a new file)."""

    label: str
    path: Optional[str] = None
    directory: Optional[str] = None
    prefix: str = DEFAULT_PREFIX
    suffix: str = ""

    @property
    def folder(self) -> str:
        """The directory the file is created in."""
        if self.directory is not None:
            return self.directory
        return os.path.dirname(self.path or "") or "."


class WriteResult(NamedTuple):
    path: str
    changed: bool


def _control_characters(value: str) -> List[str]:
    return sorted({repr(c) for c in value if unicodedata.category(c) == "Cc"})


def _check_text(value: str, option: str) -> None:
    bad = _control_characters(value)
    if bad:
        raise FileWriteError(f"{option}: {value!r} contains control characters ({', '.join(bad)}); they are not allowed in file names")


def _absolute(path: str) -> str:
    """``path`` made absolute against the working directory, without resolving links or ``..``.

    Empty and ``.`` components are dropped; ``..`` is kept, since what it means depends on links.
    """
    if not os.path.isabs(path):
        path = os.path.join(os.getcwd(), path)
    parts = [part for part in path.split("/") if part not in ("", ".")]
    return "/" + "/".join(parts)


def destination(path: Optional[str] = None, directory: Optional[str] = None, prefix: Optional[str] = None,
                suffix: Optional[str] = None, label: Optional[str] = None) -> Destination:
    """Validate the options (names only; nothing is read on disk) and return a ``Destination``.

    Exactly one of ``path`` and ``directory``; ``prefix`` and ``suffix`` only with ``directory``.
    ``label`` replaces the option name (``path`` or ``directory``) in every message.
    """
    if (path is None) == (directory is None):
        raise FileWriteError("exactly one of path and directory is required")
    option = "path" if path is not None else "directory"
    label = label or option
    _check_text(label, "label")
    value = path if path is not None else directory
    if not value:
        raise FileWriteError(f"{label}: an empty {option} is not a file name")
    _check_text(value, label)
    if path is not None:
        if prefix is not None or suffix is not None:
            raise FileWriteError(f"{label}: prefix and suffix apply to directory, not to path")
        if path.endswith("/") or os.path.basename(path) in (".", ".."):
            raise FileWriteError(f"{label}: {path!r} names a directory, not a file")
        return Destination(label=label, path=_absolute(path))
    prefix = DEFAULT_PREFIX if prefix is None else prefix
    suffix = "" if suffix is None else suffix
    if not prefix:
        raise FileWriteError("prefix: an empty prefix is not allowed")
    for option, text in (("prefix", prefix), ("suffix", suffix)):
        _check_text(text, option)
        if "/" in text:
            raise FileWriteError(f"{option}: {text!r} contains '/'; it is part of a file name, not a path")
    return Destination(label=label, directory=_absolute(directory), prefix=prefix, suffix=suffix)


def utc_stamp(now: Optional[datetime.datetime] = None) -> str:
    """``YYYYmmddTHHMMSSZ`` for ``now`` (default: the current time), in UTC."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if now.tzinfo is not None:
        now = now.astimezone(datetime.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ")


def candidate_names(dest: Destination, now: Optional[datetime.datetime] = None) -> List[str]:
    """The names directory mode tries, in order: ``<prefix>-<stamp><suffix>``, then ``-1``, ``-2``, ... before the suffix."""
    stem = f"{dest.prefix}-{utc_stamp(now)}"
    return [f"{stem}{dest.suffix}"] + [f"{stem}-{n}{dest.suffix}" for n in range(1, MAX_COLLISIONS)]


def _check_folder(dest: Destination) -> None:
    """The directory the file goes into exists, is a directory and lets the user create files in it."""
    folder = dest.folder
    if dest.directory is not None:
        what = f"{dest.label}: {folder!r}"
        try:
            st = os.lstat(folder)
        except FileNotFoundError:
            raise FileWriteError(f"{what} does not exist") from None
        except NotADirectoryError:
            raise FileWriteError(f"{what}: a parent component is not a directory") from None
        except PermissionError:
            raise FileWriteError(f"{what}: permission denied while looking it up (a parent directory cannot be searched)") from None
        if stat.S_ISLNK(st.st_mode):
            raise FileWriteError(
                f"{what} is a symbolic link; refusing it: whoever can change the link could send the file somewhere else. "
                "Give the real directory (links in its parent components are fine)"
            )
        if not stat.S_ISDIR(st.st_mode):
            raise FileWriteError(f"{what} is not a directory")
    else:
        what = f"{dest.label}: {dest.path!r}: parent directory {folder!r}"
        try:
            st = os.stat(folder)
        except FileNotFoundError:
            raise FileWriteError(f"{what} does not exist") from None
        except NotADirectoryError:
            raise FileWriteError(f"{what} is not a directory (or one of its parents is not)") from None
        except PermissionError:
            raise FileWriteError(f"{what} cannot be reached (permission denied on one of its parents)") from None
        if not stat.S_ISDIR(st.st_mode):
            raise FileWriteError(f"{what} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        raise FileWriteError(f"{what} is not writable and searchable by the running user (uid {os.geteuid()})")


def _check_existing(dest: Destination) -> Optional[os.stat_result]:
    """Path mode: what is at the path now (None when nothing), refused unless it is a regular file of ours."""
    what = f"{dest.label}: {dest.path!r}"
    try:
        st = os.lstat(dest.path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise FileWriteError(f"{what} is a symbolic link; refusing to write through it (remove the link or choose another path)")
    if stat.S_ISDIR(st.st_mode):
        raise FileWriteError(f"{what} is a directory; give the path of a file")
    if not stat.S_ISREG(st.st_mode):
        raise FileWriteError(f"{what} exists and is not a regular file")
    if st.st_uid != os.geteuid():
        raise FileWriteError(f"{what} exists and belongs to uid {st.st_uid}, not to the running user (uid {os.geteuid()}); it is never reused")
    return st


def _wrap_os_error(dest: Destination, where: str, error: OSError) -> FileWriteError:
    reason = error.strerror or str(error)
    return FileWriteError(f"{dest.label}: cannot write {where!r}: {reason}")


def _open_temp(dest: Destination, stem: str) -> Tuple[int, str]:
    """A new temporary file beside the destination: O_EXCL, O_NOFOLLOW, mode 0600 from creation."""
    folder = dest.folder
    for _attempt in range(_TEMP_ATTEMPTS):
        temp = os.path.join(folder, f".{stem[:_TEMP_STEM]}.{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(temp, _TEMP_FLAGS, FILE_MODE)
        except FileExistsError:
            continue
        except OSError as e:
            raise _wrap_os_error(dest, folder, e) from None
        try:
            os.fchmod(fd, FILE_MODE)  # the umask may have taken bits off
        except OSError as e:
            os.close(fd)
            _remove(temp)
            raise _wrap_os_error(dest, folder, e) from None
        return fd, temp
    raise FileWriteError(f"{dest.label}: cannot create a temporary file in {folder!r}: every name tried exists")


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _sync_directory(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in _DIR_SYNC_UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def _stem(dest: Destination) -> str:
    return os.path.basename(dest.path) if dest.path is not None else dest.prefix


def _probe(dest: Destination) -> None:
    """Create and remove the temporary file a write would use: the only sure sign that the directory takes files."""
    fd, temp = _open_temp(dest, _stem(dest))
    os.close(fd)
    _remove(temp)


def _first_free(dest: Destination, now: Optional[datetime.datetime]) -> str:
    for name in candidate_names(dest, now):
        path = os.path.join(dest.directory, name)
        if not os.path.lexists(path):
            return path
    raise FileWriteError(f"{dest.label}: {dest.directory!r}: {MAX_COLLISIONS} files named {candidate_names(dest, now)[0]!r} and its variants exist already")


def check_destination(dest: Destination, now: Optional[datetime.datetime] = None) -> str:
    """Raise ``FileWriteError`` unless ``write_file`` could write ``dest``; return the path it would write.

    Nothing is left on disk: a temporary file is created and removed at once. In directory mode
    the name returned is the one free now; a later write picks the name free then.
    """
    try:
        _check_folder(dest)
        if dest.path is not None:
            _check_existing(dest)
            _probe(dest)
            return dest.path
        _probe(dest)
        return _first_free(dest, now)
    except OSError as e:  # anything the checks did not foresee (a link loop, a name too long, ...)
        raise _wrap_os_error(dest, dest.path or dest.directory, e) from None


def _same_content(dest: Destination, existing: os.stat_result, data: bytes) -> bool:
    """Path mode: the existing file (ours, regular) already holds ``data`` with mode 0600."""
    if stat.S_IMODE(existing.st_mode) != FILE_MODE or existing.st_size != len(data):
        return False
    try:
        fd = os.open(dest.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != (existing.st_dev, existing.st_ino) or not stat.S_ISREG(st.st_mode):
            return False
        chunks = []
        size = 0
        while size <= len(data):
            chunk = os.read(fd, max(len(data) + 1 - size, 1))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks) == data
    finally:
        os.close(fd)


def _encode(content: Union[str, bytes]) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else bytes(content)


def already_written(dest: Destination, content: Union[str, bytes]) -> bool:
    """Path mode: ``dest.path`` is a regular file of ours that holds ``content`` with mode 0600 (directory mode: never)."""
    if dest.path is None:
        return False
    try:
        existing = _check_existing(dest)
        return existing is not None and _same_content(dest, existing, _encode(content))
    except OSError as e:
        raise _wrap_os_error(dest, dest.path, e) from None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _claim_name(dest: Destination, temp: str, now: Optional[datetime.datetime]) -> str:
    """Directory mode: hard-link the finished temporary file to the first name nobody holds (atomic, never overwrites)."""
    for name in candidate_names(dest, now):
        final = os.path.join(dest.directory, name)
        try:
            os.link(temp, final, follow_symlinks=False)
        except FileExistsError:
            continue
        return final
    raise FileWriteError(f"{dest.label}: {dest.directory!r}: {MAX_COLLISIONS} files named {candidate_names(dest, now)[0]!r} and its variants exist already")


def write_file(dest: Destination, content: Union[str, bytes], now: Optional[datetime.datetime] = None) -> WriteResult:
    """Write ``content`` (text as UTF-8) to ``dest`` atomically, mode 0600; see the module docstring.

    In path mode an existing regular file of ours that already holds ``content`` with mode 0600
    is left alone (``changed`` is False). ``now`` fixes the time in directory mode's file name
    (default: the time the content is on disk).
    """
    data = _encode(content)
    where = dest.path or dest.directory
    try:
        _check_folder(dest)
        if dest.path is not None:
            existing = _check_existing(dest)
            if existing is not None and _same_content(dest, existing, data):
                return WriteResult(dest.path, False)
    except OSError as e:
        raise _wrap_os_error(dest, where, e) from None
    fd, temp = _open_temp(dest, _stem(dest))
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if dest.path is not None:
            os.replace(temp, dest.path)
            final = dest.path
        else:
            final = _claim_name(dest, temp, now)
            _remove(temp)
        _sync_directory(dest.folder)
    except OSError as e:
        _remove(temp)
        if isinstance(e, IsADirectoryError):
            raise FileWriteError(f"{dest.label}: {where!r} is a directory; give the path of a file") from None
        raise _wrap_os_error(dest, where, e) from None
    except BaseException:
        _remove(temp)
        raise
    return WriteResult(final, True)


def remove_file(dest: Destination, check: bool = False) -> bool:
    """Path mode: remove ``dest.path``, a regular file of the running user; return False when nothing is there.

    Never through a link: a symbolic link at the path is refused, and neither the link nor its target is touched; so are
    a directory, anything else than a regular file, and a file of another user. With ``check``, the same checks, and
    nothing is removed. The directory is synced after the removal.
    """
    if dest.path is None:
        raise FileWriteError(f"{dest.label}: only a file named by its path is removed, not a directory's file")
    what = f"{dest.label}: {dest.path!r}"
    try:
        st = os.lstat(dest.path)
    except FileNotFoundError:
        return False
    except OSError as e:
        raise FileWriteError(f"{dest.label}: cannot remove {dest.path!r}: {e.strerror or e}") from None
    if stat.S_ISLNK(st.st_mode):
        raise FileWriteError(f"{what} is a symbolic link; refusing to remove or follow it")
    if stat.S_ISDIR(st.st_mode):
        raise FileWriteError(f"{what} is a directory; only a file is removed")
    if not stat.S_ISREG(st.st_mode):
        raise FileWriteError(f"{what} is not a regular file; it is left alone")
    if st.st_uid != os.geteuid():
        raise FileWriteError(f"{what} belongs to uid {st.st_uid}, not to the running user (uid {os.geteuid()}); it is left alone")
    if check:
        return True
    try:
        os.unlink(dest.path)
    except FileNotFoundError:
        return False
    except OSError as e:
        raise FileWriteError(f"{dest.label}: cannot remove {dest.path!r}: {e.strerror or e}") from None
    try:
        _sync_directory(dest.folder)
    except OSError:
        pass  # the file is gone; a directory that cannot be synced changes nothing to that
    return True
