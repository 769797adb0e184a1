# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The file writer: every safety rule of module_utils/files.py, each with a test that fails without it."""

import datetime
import errno
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading

import pytest

from ansible_collections.lmus.user_subscriptions.plugins.module_utils import files
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.files import FileWriteError

LABEL = "offboard_report_path"
NOW = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
NOBODY = 65534
OTHER_UID = 12345


@pytest.fixture(autouse=True)
def umask_0():
    """Every test runs under umask 0, where only the writer's own care gives mode 0600."""
    old = os.umask(0)
    yield
    os.umask(old)


def path_dest(path, label=LABEL):
    return files.destination(path=str(path), label=label)


def dir_dest(directory, prefix="offboard", suffix="-dry-run.json", label="offboard_report_dir"):
    return files.destination(directory=str(directory), prefix=prefix, suffix=suffix, label=label)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def listing(folder):
    return sorted(os.listdir(folder))


def snapshot(path):
    """What a refused write must leave alone: type, mode, owner and content of ``path`` (not following a link)."""
    st = os.lstat(path)
    content = None
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            content = f.read()
    link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
    return (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_ino, content, link)


# ---------------------------------------------------------------- a normal write

def test_writes_exact_content_as_utf8_with_mode_0600(tmp_path):
    target = tmp_path / "report.json"
    content = '{"users": ["Zoë", "Ñuño"]}\n'
    result = files.write_file(path_dest(target), content)
    assert result == files.WriteResult(str(target), True)
    assert target.read_bytes() == content.encode("utf-8")
    assert mode(target) == 0o600
    assert listing(tmp_path) == ["report.json"]


def test_mode_is_0600_whatever_the_umask(tmp_path):
    os.umask(0o277)  # would leave 0400 to a file created with 0600 and not chmod-ed
    target = tmp_path / "report.json"
    files.write_file(path_dest(target), "x")
    assert mode(target) == 0o600


def test_temporary_file_is_0600_exclusive_and_in_the_same_directory_before_any_byte(tmp_path, monkeypatch):
    seen = []
    real_open, real_write = os.open, os.write

    def spy_open(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        if str(path).endswith(".tmp"):
            seen.append(("open", os.path.dirname(path), flags))
        return fd

    def spy_write(fd, data):
        st = os.fstat(fd)
        seen.append(("write", stat.S_IMODE(st.st_mode), st.st_size))
        return real_write(fd, data)

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "write", spy_write)
    files.write_file(path_dest(tmp_path / "report.json"), "personal data")
    assert [event[0] for event in seen] == ["open", "write"]
    folder, flags = seen[0][1:]
    temp_mode, size = seen[1][1:]
    assert folder == str(tmp_path)
    for flag in (os.O_CREAT, os.O_EXCL, os.O_NOFOLLOW, os.O_WRONLY):
        assert flags & flag == flag
    assert (temp_mode, size) == (0o600, 0)


def test_replaces_a_file_of_ours_and_sets_mode_0600(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old, longer content\n")
    target.chmod(0o644)
    old_inode = target.stat().st_ino
    assert files.write_file(path_dest(target), "new\n").changed
    assert target.read_text() == "new\n"
    assert mode(target) == 0o600
    assert target.stat().st_ino != old_inode  # a new file renamed over it, not the old one truncated


def test_identical_content_is_left_alone(tmp_path):
    target = tmp_path / "report.json"
    files.write_file(path_dest(target), "same\n")
    before = snapshot(target)
    assert files.write_file(path_dest(target), "same\n") == files.WriteResult(str(target), False)
    assert snapshot(target) == before
    assert files.already_written(path_dest(target), "same\n")
    assert not files.already_written(path_dest(target), "other\n")


def test_identical_content_with_another_mode_is_rewritten_0600(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("same\n")
    target.chmod(0o644)
    assert files.write_file(path_dest(target), "same\n").changed
    assert mode(target) == 0o600


def test_relative_path_is_made_absolute_without_resolving_links(tmp_path, monkeypatch):
    (tmp_path / "real").mkdir()
    (tmp_path / "via").symlink_to(tmp_path / "real")
    monkeypatch.chdir(tmp_path)
    result = files.write_file(files.destination(path="via/./report.json"), "x")
    assert result.path == f"{tmp_path}/via/report.json"
    assert (tmp_path / "real" / "report.json").read_text() == "x"


# ---------------------------------------------------------------- symbolic links

@pytest.fixture(params=["to_file", "to_directory", "dangling"])
def link_at_path(request, tmp_path):
    """A symbolic link where the report should go; its target's state must never change."""
    target = tmp_path / "target"
    if request.param == "to_file":
        target.write_text("precious\n")
        target.chmod(0o644)
    elif request.param == "to_directory":
        target.mkdir()
        target.chmod(0o755)
    link = tmp_path / "report.json"
    link.symlink_to(target)
    return link, target


@pytest.mark.parametrize("operation", ["write", "check"])
def test_symlink_at_path_is_refused_and_its_target_untouched(link_at_path, operation):
    link, target = link_at_path
    before_link = snapshot(link)
    before_target = snapshot(target) if os.path.lexists(target) else None
    with pytest.raises(FileWriteError) as e:
        if operation == "write":
            files.write_file(path_dest(link), "new\n")
        else:
            files.check_destination(path_dest(link))
    assert str(e.value).startswith(f"{LABEL}: '{link}' is a symbolic link")
    assert snapshot(link) == before_link
    assert (snapshot(target) if os.path.lexists(target) else None) == before_target
    assert listing(link.parent) == (["report.json", "target"] if before_target else ["report.json"])


def test_symlink_in_a_parent_component_is_followed(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    files.write_file(path_dest(tmp_path / "link" / "report.json"), "x")
    assert (tmp_path / "real" / "report.json").read_text() == "x"


@pytest.mark.parametrize("operation", ["write", "check"])
def test_directory_mode_refuses_a_symlinked_directory_and_says_why(tmp_path, operation):
    (tmp_path / "real").mkdir()
    (tmp_path / "reports").symlink_to(tmp_path / "real")
    with pytest.raises(FileWriteError, match=r"^offboard_report_dir: '.*/reports' is a symbolic link; .*could send the file somewhere else"):
        if operation == "write":
            files.write_file(dir_dest(tmp_path / "reports"), "x", now=NOW)
        else:
            files.check_destination(dir_dest(tmp_path / "reports"), now=NOW)
    assert listing(tmp_path / "real") == []


def test_directory_mode_allows_links_in_the_directorys_parents(tmp_path):
    (tmp_path / "real" / "reports").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    result = files.write_file(dir_dest(tmp_path / "link" / "reports"), "x", now=NOW)
    assert result.path == f"{tmp_path}/link/reports/offboard-20250102T030405Z-dry-run.json"
    assert listing(tmp_path / "real" / "reports") == ["offboard-20250102T030405Z-dry-run.json"]


# ---------------------------------------------------------------- what may be at the path

@pytest.mark.parametrize("operation", ["write", "check"])
@pytest.mark.parametrize("dir_mode", [0o700, 0o755, 0o777])
def test_directory_at_path_is_refused_and_its_mode_kept(tmp_path, operation, dir_mode):
    target = tmp_path / "report.json"
    target.mkdir()
    (target / "inside").write_text("keep")
    target.chmod(dir_mode)
    with pytest.raises(FileWriteError, match=rf"^{LABEL}: '{re.escape(str(target))}' is a directory"):
        if operation == "write":
            files.write_file(path_dest(target), "x")
        else:
            files.check_destination(path_dest(target))
    assert mode(target) == dir_mode
    assert listing(target) == ["inside"]
    assert listing(tmp_path) == ["report.json"]


def test_fifo_at_path_is_refused(tmp_path):
    target = tmp_path / "report.json"
    os.mkfifo(target)
    with pytest.raises(FileWriteError, match=r"is not a regular file"):
        files.write_file(path_dest(target), "x")
    assert stat.S_ISFIFO(os.lstat(target).st_mode)


@pytest.mark.parametrize("operation", ["write", "check"])
def test_file_of_another_user_is_refused_and_left_alone(tmp_path, operation):
    if os.geteuid() != 0:
        pytest.skip("creating a file owned by another uid needs root")
    target = tmp_path / "report.json"
    target.write_text("theirs\n")
    target.chmod(0o666)
    os.chown(target, OTHER_UID, OTHER_UID)
    before = snapshot(target)
    with pytest.raises(FileWriteError, match=rf"^{LABEL}: '.*report.json' exists and belongs to uid {OTHER_UID}, not to the running user"):
        if operation == "write":
            files.write_file(path_dest(target), "ours\n")
        else:
            files.check_destination(path_dest(target))
    assert snapshot(target) == before
    assert listing(tmp_path) == ["report.json"]


# ---------------------------------------------------------------- the parent directory

def _missing_parent(tmp_path):
    return path_dest(tmp_path / "no-such-dir" / "report.json"), "parent directory '.*/no-such-dir' does not exist"


def _parent_is_a_file(tmp_path):
    (tmp_path / "plain").write_text("x")
    return path_dest(tmp_path / "plain" / "report.json"), "parent directory '.*/plain' is not a directory"


def _missing_directory(tmp_path):
    return dir_dest(tmp_path / "no-such-dir"), "^offboard_report_dir: '.*/no-such-dir' does not exist"


def _directory_is_a_file(tmp_path):
    (tmp_path / "plain").write_text("x")
    return dir_dest(tmp_path / "plain"), "^offboard_report_dir: '.*/plain' is not a directory"


@pytest.mark.parametrize("case", [_missing_parent, _parent_is_a_file, _missing_directory, _directory_is_a_file])
def test_bad_parent_is_refused_by_check_and_write_with_the_same_message(tmp_path, case):
    dest, pattern = case(tmp_path)
    before = listing(tmp_path)
    with pytest.raises(FileWriteError, match=pattern) as checked:
        files.check_destination(dest, now=NOW)
    with pytest.raises(FileWriteError) as written:
        files.write_file(dest, "x", now=NOW)
    assert str(checked.value) == str(written.value)
    assert str(checked.value).startswith(f"{dest.label}: ")
    assert listing(tmp_path) == before


@pytest.mark.parametrize("operation", ["write", "check"])
def test_unforeseen_os_errors_become_messages_naming_the_label(tmp_path, operation):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    dest = path_dest(tmp_path / "loop" / "report.json")
    with pytest.raises(FileWriteError, match=rf"^{LABEL}: .*Too many levels of symbolic links"):
        if operation == "write":
            files.write_file(dest, "x")
        else:
            files.check_destination(dest)


def run_as(uid, function):
    """Run ``function()`` in a child process with ``uid`` (and gid, no groups); return what it raised or 'ok'."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            try:
                function()
                answer = "ok"
            except FileWriteError as e:
                answer = f"FileWriteError: {e}"
            except BaseException as e:  # pylint: disable=broad-except
                answer = f"other: {e!r}"
            os.write(write_end, answer.encode("utf-8"))
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode("utf-8")


@pytest.fixture
def shared_dir():
    """A directory every user can reach (pytest's tmp_path is private to root)."""
    path = tempfile.mkdtemp(prefix="lmus-files-")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


@pytest.mark.parametrize("dir_mode, reason", [(0o755, "not writable"), (0o772, "not searchable")])
@pytest.mark.parametrize("mode_of_use", ["path", "directory"])
def test_parent_the_user_cannot_write_or_search_is_refused(shared_dir, dir_mode, reason, mode_of_use):
    """Root passes every permission check, so the test drops to an unprivileged uid in a child process."""
    parent = os.path.join(shared_dir, "parent")
    os.mkdir(parent)
    os.chmod(parent, dir_mode)
    if mode_of_use == "path":
        dest = path_dest(os.path.join(parent, "report.json"))
    else:
        dest = dir_dest(parent)
    if os.geteuid() == 0:
        checked = run_as(NOBODY, lambda: files.check_destination(dest, now=NOW))
        written = run_as(NOBODY, lambda: files.write_file(dest, "x", now=NOW))
    else:
        os.chmod(parent, (dir_mode & 0o007) << 6)  # this user, the owner, gets what "others" would have
        checked = run_as_self(lambda: files.check_destination(dest, now=NOW))
        written = run_as_self(lambda: files.write_file(dest, "x", now=NOW))
    assert checked.startswith(f"FileWriteError: {dest.label}: "), checked
    assert "is not writable and searchable by the running user" in checked, checked
    assert written == checked, reason
    os.chmod(parent, 0o755)
    assert listing(parent) == []


def run_as_self(function):
    try:
        function()
    except FileWriteError as e:
        return f"FileWriteError: {e}"
    return "ok"


@pytest.fixture
def read_only_dir(tmp_path):
    """A read-only bind mount: not writable even by root (EROFS)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a read-only bind mount needs root and mount(8)")
    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True, check=False).returncode != 0:
        pytest.skip("bind mounts are not permitted here")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True, check=False).returncode != 0:
            pytest.skip("read-only remount is not permitted here")
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True, check=False)


@pytest.mark.parametrize("operation", ["write", "check"])
def test_read_only_parent_is_refused(read_only_dir, operation):
    with pytest.raises(FileWriteError, match=rf"^{LABEL}: .*is not writable and searchable"):
        if operation == "write":
            files.write_file(path_dest(read_only_dir / "report.json"), "x")
        else:
            files.check_destination(path_dest(read_only_dir / "report.json"))


def test_check_tries_to_create_the_temporary_file(tmp_path, monkeypatch):
    """os.access can say yes where creation fails (ACLs, SELinux, quotas): the check creates the file to know."""
    real_open = os.open

    def refuse_temp(path, flags, *args, **kwargs):
        if str(path).endswith(".tmp"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_temp)
    with pytest.raises(FileWriteError, match=rf"^{LABEL}: cannot write '{re.escape(str(tmp_path))}': Permission denied"):
        files.check_destination(path_dest(tmp_path / "report.json"))


def test_check_leaves_nothing_behind_and_names_the_file(tmp_path):
    (tmp_path / "old").write_text("x")
    assert files.check_destination(path_dest(tmp_path / "report.json")) == str(tmp_path / "report.json")
    assert files.check_destination(path_dest(tmp_path / "old")) == str(tmp_path / "old")
    assert files.check_destination(dir_dest(tmp_path), now=NOW) == f"{tmp_path}/offboard-20250102T030405Z-dry-run.json"
    assert listing(tmp_path) == ["old"]
    assert (tmp_path / "old").read_text() == "x"


# ---------------------------------------------------------------- failures on the way

def test_failure_during_write_removes_the_temporary_file_and_leaves_no_final_file(tmp_path, monkeypatch):
    def broken_fsync(fd):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(FileWriteError, match=rf"^{LABEL}: cannot write '.*report.json': Input/output error"):
        files.write_file(path_dest(tmp_path / "report.json"), "x" * 100000)
    assert listing(tmp_path) == []


def test_failure_during_write_keeps_the_previous_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    files.write_file(path_dest(target), "previous\n")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(FileWriteError, match="No space left on device"):
        files.write_file(path_dest(target), "next\n")
    assert target.read_text() == "previous\n"
    assert listing(tmp_path) == ["report.json"]


def test_failure_in_directory_mode_removes_the_temporary_file(tmp_path, monkeypatch):
    def broken_write(fd, data):
        raise OSError(errno.EDQUOT, os.strerror(errno.EDQUOT))

    monkeypatch.setattr(os, "write", broken_write)
    with pytest.raises(FileWriteError, match=r"^offboard_report_dir: cannot write"):
        files.write_file(dir_dest(tmp_path), "x", now=NOW)
    assert listing(tmp_path) == []


def test_interruption_removes_the_temporary_file(tmp_path, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_file(path_dest(tmp_path / "report.json"), "x")
    assert listing(tmp_path) == []


def test_link_failure_removes_the_temporary_file(tmp_path, monkeypatch):
    def no_links(*args, **kwargs):
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", no_links)
    with pytest.raises(FileWriteError, match="Operation not permitted"):
        files.write_file(dir_dest(tmp_path), "x", now=NOW)
    assert listing(tmp_path) == []


def test_final_name_appears_only_with_the_whole_synced_content(tmp_path, monkeypatch):
    """At the rename the temporary file is complete and synced; the directory is synced after it."""
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    content = "line\n" * 50000

    def spy_fsync(fd):
        events.append("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        return real_fsync(fd)

    def spy_replace(src, dst):
        with open(src, encoding="utf-8") as f:
            assert f.read() == content
        assert not os.path.exists(dst)
        events.append("replace")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    files.write_file(path_dest(tmp_path / "report.json"), content)
    assert events == ["fsync-file", "replace", "fsync-dir"]


def test_directory_mode_syncs_file_then_links_then_syncs_directory(tmp_path, monkeypatch):
    events = []
    real_fsync, real_link = os.fsync, os.link

    def spy_fsync(fd):
        events.append("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        return real_fsync(fd)

    def spy_link(src, dst, **kwargs):
        events.append("link")
        return real_link(src, dst, **kwargs)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "link", spy_link)
    files.write_file(dir_dest(tmp_path), "x", now=NOW)
    assert events == ["fsync-file", "link", "fsync-dir"]


# ---------------------------------------------------------------- directory mode names

def test_directory_mode_name_is_prefix_utc_time_suffix(tmp_path):
    local = NOW.astimezone(datetime.timezone(datetime.timedelta(hours=-5)))
    result = files.write_file(dir_dest(tmp_path), "x", now=local)
    assert os.path.basename(result.path) == "offboard-20250102T030405Z-dry-run.json"
    assert mode(result.path) == 0o600


def test_directory_mode_default_prefix_and_current_time(tmp_path):
    result = files.write_file(files.destination(directory=str(tmp_path)), "x")
    assert re.fullmatch(r"report-\d{8}T\d{6}Z", os.path.basename(result.path))
    assert listing(tmp_path) == [os.path.basename(result.path)]


def test_directory_mode_never_overwrites_and_counts_up(tmp_path):
    first = tmp_path / "offboard-20250102T030405Z-dry-run.json"
    first.write_text("first\n")
    second = files.write_file(dir_dest(tmp_path), "second\n", now=NOW)
    third = files.write_file(dir_dest(tmp_path), "third\n", now=NOW)
    assert os.path.basename(second.path) == "offboard-20250102T030405Z-1-dry-run.json"
    assert os.path.basename(third.path) == "offboard-20250102T030405Z-2-dry-run.json"
    assert first.read_text() == "first\n"
    assert (tmp_path / os.path.basename(second.path)).read_text() == "second\n"
    assert (tmp_path / os.path.basename(third.path)).read_text() == "third\n"
    assert len(listing(tmp_path)) == 3


def test_directory_mode_skips_a_name_held_by_a_dangling_symlink_without_following_it(tmp_path):
    taken = tmp_path / "offboard-20250102T030405Z-dry-run.json"
    taken.symlink_to(tmp_path / "elsewhere")
    result = files.write_file(dir_dest(tmp_path), "x", now=NOW)
    assert os.path.basename(result.path) == "offboard-20250102T030405Z-1-dry-run.json"
    assert os.path.islink(taken) and not os.path.lexists(tmp_path / "elsewhere")
    assert files.check_destination(dir_dest(tmp_path), now=NOW).endswith("-2-dry-run.json")


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_writers_in_directory_mode_never_collide(tmp_path, round_):
    writers = 24
    barrier = threading.Barrier(writers)
    results, errors = [None] * writers, []

    def write(n):
        try:
            barrier.wait()
            results[n] = files.write_file(dir_dest(tmp_path), f"writer {n}\n", now=NOW).path
        except Exception as e:  # pylint: disable=broad-except
            errors.append(e)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == writers
    for n, path in enumerate(results):
        with open(path, encoding="utf-8") as f:
            assert f.read() == f"writer {n}\n"
    expected = {"offboard-20250102T030405Z-dry-run.json"} | {f"offboard-20250102T030405Z-{n}-dry-run.json" for n in range(1, writers)}
    assert set(listing(tmp_path)) == expected


def test_directory_mode_gives_up_after_max_collisions(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_COLLISIONS", 3)
    for name in files.candidate_names(dir_dest(tmp_path), NOW):
        (tmp_path / name).write_text("taken")
    with pytest.raises(FileWriteError, match=r"3 files named 'offboard-20250102T030405Z-dry-run.json' and its variants exist"):
        files.write_file(dir_dest(tmp_path), "x", now=NOW)
    assert len(listing(tmp_path)) == 3


# ---------------------------------------------------------------- names

CONTROL = ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85"]


@pytest.mark.parametrize("char", CONTROL, ids=repr)
@pytest.mark.parametrize("option", ["path", "directory", "prefix", "suffix"])
def test_control_characters_are_refused(tmp_path, option, char):
    kwargs = {"path": dict(path=f"{tmp_path}/rep{char}ort.json"), "directory": dict(directory=f"{tmp_path}/d{char}ir"),
              "prefix": dict(directory=str(tmp_path), prefix=f"off{char}board"), "suffix": dict(directory=str(tmp_path), suffix=f".js{char}on")}[option]
    name = LABEL if option in ("path", "directory") else option
    with pytest.raises(FileWriteError, match=rf"^{name}: .* contains control characters \({re.escape(repr(char))}\)"):
        files.destination(label=LABEL if option in ("path", "directory") else None, **kwargs)


@pytest.mark.parametrize("option", ["prefix", "suffix"])
def test_slash_in_prefix_or_suffix_is_refused(tmp_path, option):
    with pytest.raises(FileWriteError, match=rf"^{option}: '\.\./x' contains '/'"):
        files.destination(directory=str(tmp_path), **{option: "../x"})


@pytest.mark.parametrize("kwargs, message", [
    (dict(), "exactly one of path and directory is required"),
    (dict(path="/tmp/a", directory="/tmp"), "exactly one of path and directory is required"),
    (dict(path=""), "^path: an empty path is not a file name"),
    (dict(directory="", label="offboard_report_dir"), "^offboard_report_dir: an empty directory"),
    (dict(path="/tmp/a", suffix=".json"), "^path: prefix and suffix apply to directory"),
    (dict(path="/tmp/reports/"), "^path: '/tmp/reports/' names a directory"),
    (dict(path="/tmp/reports/.."), "^path: '/tmp/reports/..' names a directory"),
    (dict(directory="/tmp", prefix=""), "^prefix: an empty prefix is not allowed"),
])
def test_option_combinations(kwargs, message):
    with pytest.raises(FileWriteError, match=message):
        files.destination(**kwargs)


def test_label_defaults_to_the_option_name(tmp_path):
    with pytest.raises(FileWriteError, match=r"^path: '.*/missing/report.json': parent directory"):
        files.check_destination(files.destination(path=str(tmp_path / "missing" / "report.json")))
    with pytest.raises(FileWriteError, match=r"^directory: '.*/missing' does not exist"):
        files.check_destination(files.destination(directory=str(tmp_path / "missing")))


def test_long_names_keep_the_temporary_name_short(tmp_path):
    name = "r" * 250 + ".json"
    files.write_file(path_dest(tmp_path / name), "x")
    assert listing(tmp_path) == [name]


# ---------------------------------------------------------------- removal

def test_remove_takes_away_a_file_of_ours_and_nothing_else(tmp_path):
    target = tmp_path / "profiles.ini"
    files.write_file(path_dest(target), "[profile x]\n")
    (tmp_path / "other").write_text("keep")
    assert files.remove_file(path_dest(target), check=True) is True and target.exists()
    assert files.remove_file(path_dest(target)) is True
    assert listing(tmp_path) == ["other"]
    assert files.remove_file(path_dest(target)) is False  # nothing there: not an error


def test_remove_refuses_a_link_and_touches_neither_it_nor_its_target(link_at_path):
    link, target = link_at_path
    before_link = snapshot(link)
    before_target = snapshot(target) if os.path.lexists(target) else None
    for check in (True, False):
        with pytest.raises(FileWriteError, match=rf"^{LABEL}: '.*report.json' is a symbolic link; refusing to remove or follow it"):
            files.remove_file(path_dest(link), check=check)
    assert snapshot(link) == before_link
    assert (snapshot(target) if os.path.lexists(target) else None) == before_target


def test_remove_refuses_a_directory_a_fifo_and_a_directory_destination(tmp_path):
    (tmp_path / "report.json").mkdir()
    with pytest.raises(FileWriteError, match="is a directory; only a file is removed"):
        files.remove_file(path_dest(tmp_path / "report.json"))
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(FileWriteError, match="is not a regular file; it is left alone"):
        files.remove_file(path_dest(tmp_path / "fifo"))
    with pytest.raises(FileWriteError, match="only a file named by its path is removed"):
        files.remove_file(dir_dest(tmp_path))
    assert listing(tmp_path) == ["fifo", "report.json"]


def test_remove_refuses_a_file_of_another_user(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("creating a file owned by another uid needs root")
    target = tmp_path / "report.json"
    target.write_text("theirs\n")
    os.chown(target, OTHER_UID, OTHER_UID)
    before = snapshot(target)
    with pytest.raises(FileWriteError, match=rf"belongs to uid {OTHER_UID}, not to the running user .*; it is left alone"):
        files.remove_file(path_dest(target))
    assert snapshot(target) == before
