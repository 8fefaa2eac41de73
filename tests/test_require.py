"""``tools/require.sh``, which installs a `make` stage's system packages (issue 13).

It must install what is missing with apt-get, non-interactively, as root or through sudo; and
where it cannot, stop with ONE line saying what to install, so that `make test` on a machine
without Chromium or TeX fails once, readably, instead of with hundreds of identical errors.
Here apt-get, sudo and id are stand-ins on PATH that record how they were called.
"""

import os
import subprocess
from pathlib import Path

import pytest

REQUIRE = Path(__file__).resolve().parents[1] / "tools" / "require.sh"


@pytest.fixture()
def fake_bin(tmp_path):
    """A folder of stand-in commands; ``make(name, body)`` adds one."""
    folder = tmp_path / "bin"
    folder.mkdir()

    def make(name, body):
        path = folder / name
        path.write_text(f"#!/bin/bash\n{body}\n")
        path.chmod(0o755)

    return folder, make


def run(fake_folder, check, *packages, uid=0):
    # Only the stand-ins and the basic tools: no real apt-get or sudo can be reached.
    basics = fake_folder.parent / "basics"
    basics.mkdir(exist_ok=True)
    for tool in ("bash", "cat", "mktemp", "rm", "tail", "env", "touch", "test", "flock",
                 "sleep", "date"):
        link = basics / tool
        if not link.exists():
            real = subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True,
                                  text=True).stdout.strip()
            if real.startswith("/"):
                link.symlink_to(real)
    if not (fake_folder / "id").exists():
        (fake_folder / "id").write_text(f"#!/bin/bash\necho {uid}\n")
        (fake_folder / "id").chmod(0o755)
    return subprocess.run(["bash", str(REQUIRE), "Thing", check, *packages],
                          capture_output=True, text=True, env=environment(fake_folder),
                          timeout=60)


def environment(fake_folder):
    """The stand-ins first on PATH; the apt lock in the test's own folder."""
    return {"PATH": f"{fake_folder}:{fake_folder.parent / 'basics'}",
            "HOME": str(fake_folder.parent), "TMPDIR": str(fake_folder.parent),
            "LOG": str(fake_folder.parent / "calls.log")}


def calls(fake_folder):
    log = fake_folder.parent / "calls.log"
    return log.read_text().splitlines() if log.is_file() else []


def test_present_means_nothing_to_do(fake_bin):
    folder, make = fake_bin
    make("apt-get", 'echo "apt-get $*" >> "$LOG"')
    result = run(folder, "true", "thing-pkg")
    assert result.returncode == 0 and result.stdout == result.stderr == ""
    assert calls(folder) == []


def test_missing_is_installed_non_interactively_as_root(fake_bin, tmp_path):
    folder, make = fake_bin
    marker = tmp_path / "installed"
    make("apt-get", f'echo "apt-get $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> "$LOG"; '
                    f'[ "$*" != "${{*#*install}}" ] && touch {marker}; exit 0')
    result = run(folder, f"test -e {marker}", "pkg-a", "pkg-b")
    assert result.returncode == 0, result.stderr
    log = calls(folder)
    assert len(log) == 2 and "update" in log[0] and "install" in log[1], log
    assert all("DEBIAN_FRONTEND=noninteractive" in line for line in log), log
    assert "-y --no-install-recommends pkg-a pkg-b" in log[1], log


def test_not_root_goes_through_sudo(fake_bin, tmp_path):
    folder, make = fake_bin
    marker = tmp_path / "installed"
    make("sudo", 'echo "sudo $1" >> "$LOG"; exec "$@"')
    make("apt-get", f'[ "$*" != "${{*#*install}}" ] && touch {marker}; exit 0')
    result = run(folder, f"test -e {marker}", "pkg-a", uid=1000)
    assert result.returncode == 0, result.stderr
    assert calls(folder) == ["sudo env", "sudo env"]  # update, then install


@pytest.mark.parametrize("situation, why", [
    ("no apt-get", "(no apt-get here)"),
    ("not root, no sudo", "(not root, no sudo)"),
    ("apt-get fails", "(apt-get failed, see above)"),
    ("still missing", "after apt-get install"),
])
def test_cannot_install_says_so_in_one_line(fake_bin, situation, why):
    folder, make = fake_bin
    uid = 1000 if situation == "not root, no sudo" else 0
    if situation != "no apt-get":
        status = 100 if situation == "apt-get fails" else 0
        make("apt-get", f'echo "E: could not do it"; exit {status}')
    result = run(folder, "false", "pkg-a", "pkg-b", uid=uid)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"make: Thing is missing {why}; install it with: apt-get install pkg-a pkg-b" \
        or (why == "after apt-get install" and last.startswith(f"make: Thing is missing {why}")
            and last.endswith("install it with: apt-get install pkg-a pkg-b")), last
    lines = [line for line in result.stderr.splitlines() if line.startswith("make: ")]
    assert len(lines) == 1, result.stderr


def test_two_at_once_install_one_after_the_other(fake_bin, tmp_path):
    """`make test` runs stages in parallel: two stages installing at once must not run
    apt-get at the same time (apt's locks would fail the second)."""
    folder, make = fake_bin
    make("apt-get", 'echo "start $(date +%s.%N)" >> "$LOG"; sleep 0.3; '
                    'echo "end $(date +%s.%N)" >> "$LOG"; touch "$HOME/installed-$$"')
    run(folder, "true")  # creates the basics and the stand-in id
    both = [subprocess.Popen(["bash", str(REQUIRE), f"Thing {n}", "false", f"pkg-{n}"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=environment(folder)) for n in (1, 2)]
    for process in both:
        process.wait(timeout=60)
    events = [line.split() for line in calls(folder)]
    assert len(events) == 8, events  # update and install, for each of the two
    for (kind_a, _), (kind_b, _) in zip(events[::2], events[1::2], strict=True):
        assert (kind_a, kind_b) == ("start", "end"), f"apt-get runs overlapped: {events}"
    times = [float(stamp) for _, stamp in events]
    assert times == sorted(times), events


def test_the_makefile_routes_every_system_dependency_through_it():
    makefile = (REQUIRE.parents[1] / "Makefile").read_text()
    for target in ("require-browser:", "require-pdf:"):
        body = makefile.split(target, 1)[1].split("\n", 2)[1]
        assert "$(REQUIRE)" in body, f"{target} {body}"
    assert os.access(REQUIRE, os.X_OK), f"{REQUIRE} is not executable"


def test_an_old_python_stops_make_with_one_line(tmp_path):
    """requirements.txt's pins need Python 3.11: with an older python3, `make` says so in one
    line before it creates anything, instead of failing in pip's resolver."""
    root = REQUIRE.parents[1]
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
        (tmp_path / name).write_bytes((root / name).read_bytes())
    old_python = tmp_path / "python3.10"
    old_python.write_text(  # answers like Python 3.10.12: its version, and a failed check
        '#!/bin/bash\ncase "$2" in *platform*) echo 3.10.12;; *version_info*) exit 1;; esac\n')
    old_python.chmod(0o755)
    # As typed in a shell, not as a sub-make of `make test` (which would say "make[1]").
    env = {key: value for key, value in os.environ.items()
           if key not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}
    result = subprocess.run(["make", "--no-print-directory", f"PYTHON={old_python}", "book"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "***" not in line]
    assert lines == [f"make: requirements.txt needs Python 3.11 or later and {old_python} is "
                     "Python 3.10.12; install a newer one and run make PYTHON=python3.NN"], \
        result.stderr
    assert not (tmp_path / ".venv").exists()
