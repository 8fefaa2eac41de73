"""`make lab` as a reader uses it: JupyterLab starts on chapters/, the server answers, the
project's environment is the kernel `lossbook`, a chapter executes on that kernel headless,
and the server stops when asked.

The chapter is executed from a copy in a temporary folder, without this checkout on
PYTHONPATH: like a notebook downloaded alone, it needs only the installed `lossbook`.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHAPTER = ROOT / "chapters" / "regression" / "gaussian-mse.ipynb"
TOKEN = "lossbook-lab-test"
START_TIMEOUT = 90  # seconds for `make lab` to answer (the first run also registers the kernel)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200, url
        return json.loads(response.read())


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` on a free port of 127.0.0.1; yields its base URL; stops it."""
    port = free_port()
    log = tmp_path_factory.mktemp("lab") / "lab.log"
    flags = (f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} "
             f"--ServerApp.port_retries=0 --IdentityProvider.token={TOKEN}")
    with open(log, "w") as out:
        server = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_FLAGS={flags}"],
                                  cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert server.poll() is None, f"make lab exited:\n{log.read_text()[-3000:]}"
            try:
                get_json(f"{base}/api/status?token={TOKEN}")
                break
            except OSError:
                assert time.monotonic() < deadline, f"no answer:\n{log.read_text()[-3000:]}"
                time.sleep(0.5)
        yield base
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # make and the server it started
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    with pytest.raises(OSError):  # stopped: nothing answers any more
        get_json(f"{base}/api/status?token={TOKEN}")


def test_lab_serves_the_chapters(lab):
    with urllib.request.urlopen(f"{lab}/lab?token={TOKEN}", timeout=10) as response:
        assert response.status == 200
        assert b"JupyterLab" in response.read()
    listing = get_json(f"{lab}/api/contents/regression?token={TOKEN}")
    names = {item["name"] for item in listing["content"]}
    assert CHAPTER.name in names, f"{CHAPTER.name} not served from chapters/: {names}"


def test_lossbook_kernel_is_registered_and_default(lab):
    specs = get_json(f"{lab}/api/kernelspecs?token={TOKEN}")
    assert "lossbook" in specs["kernelspecs"], sorted(specs["kernelspecs"])
    assert specs["default"] == "lossbook"
    argv = specs["kernelspecs"]["lossbook"]["spec"]["argv"]
    assert Path(argv[0]).resolve() == Path(sys.executable).resolve(), argv


def test_a_chapter_runs_on_the_lossbook_kernel(lab, tmp_path):
    notebook = tmp_path / CHAPTER.name
    shutil.copy(CHAPTER, notebook)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    run = subprocess.run([str(BIN / "jupyter"), "execute", "--kernel_name=lossbook",
                          "--inplace", notebook.name],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "kernel: lossbook" in run.stderr, run.stderr[-2000:]
    cells = json.loads(notebook.read_text())["cells"]
    outputs = [output for cell in cells for output in cell.get("outputs", [])]
    assert outputs and not [o for o in outputs if o["output_type"] == "error"]
