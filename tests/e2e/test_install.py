"""`make install` / `make uninstall` as an operator runs them, into a
temporary DESTDIR: the installed layout, an installed server that finds its
data with no source or build tree (run from another directory, with a clean
environment and a model directory holding no vocabulary), man pages made
from --help, --version, and an uninstall that leaves nothing behind."""
import filecmp
import gzip
import os
import re
import shutil
import subprocess
import wave

import pytest

from conftest import BUILD, CLIENT, ROOT, SERVER, Server

PREFIX = "/usr/local"                      # make install's default
MODEL = os.path.join(ROOT, "tests", "data", "golden", "cosyvoice-v1-tiny")
PROGRAMS = ["cosyvoice-server", "cosyvoice-client", "cosyvoice-synth", "cosyvoice-textfe",
            "cosyvoice-parity", "cosyvoice-make-random-model", "cosyvoice-onnx-info",
            "cosyvoice-speaker"]
# What a program run by an operator sees: no CV_* variables, no source paths.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def make(*targets, destdir, prefix=PREFIX):
    return subprocess.run(["make", "-s", "-C", ROOT, *targets, f"BUILD={BUILD}",
                           f"DESTDIR={destdir}", f"PREFIX={prefix}"],
                          capture_output=True, text=True, timeout=600)


def project_version():
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        return re.search(r"^CMAKE_PROJECT_VERSION:STATIC=(.+)$", f.read(), re.M).group(1)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    dest = tmp_path_factory.mktemp("destdir")
    r = make("install", destdir=dest)
    assert r.returncode == 0, r.stdout + r.stderr
    return str(dest)


def under(dest, *parts):
    return os.path.join(dest + PREFIX, *parts)


def test_layout(installed):
    bindir = under(installed, "bin")
    assert sorted(os.listdir(bindir)) == sorted(PROGRAMS)  # benchmarks stay in the build tree
    data = under(installed, "share", "cosyvoice-c")
    assert filecmp.cmp(os.path.join(data, "multilingual.tiktoken"),
                       os.path.join(ROOT, "assets", "multilingual.tiktoken"), shallow=False)
    for p in ("cosyvoice.proto", "health.proto"):
        assert filecmp.cmp(os.path.join(data, "proto", p), os.path.join(ROOT, "proto", p),
                           shallow=False)
    doc = under(installed, "share", "doc", "cosyvoice-c")
    for f in ("README.md", "operations.md", "neural_engine.md", "copyright", "changelog.gz",
              "examples/cosyvoice-lb.conf", "examples/zero_shot_prompt.wav"):
        assert os.path.isfile(os.path.join(doc, f)), f
    unit = under(installed, "lib", "systemd", "system", "cosyvoice-server.service")
    text = open(unit).read()
    # the unit's paths are those of the prefix installed to
    assert f"ExecStart={PREFIX}/bin/cosyvoice-server $COSYVOICE_OPTS" in text
    assert f"EnvironmentFile=-{PREFIX}/etc/default/cosyvoice-server" in text
    assert "COSYVOICE_OPTS=" in open(under(installed, "etc", "default", "cosyvoice-server")).read()
    for p in PROGRAMS:
        # nothing points back into the build tree
        dyn = subprocess.run(["readelf", "-d", os.path.join(bindir, p)], capture_output=True,
                             text=True, check=True).stdout
        assert "RPATH" not in dyn and "RUNPATH" not in dyn, dyn


def wav_frames(path):
    with wave.open(path) as w:
        assert w.getframerate() == 22050 and w.getnchannels() == 1
        return w.getnframes()


def test_installed_programs_work_without_the_source_tree(installed, tmp_path):
    """The installed server loads the neural engine from a model directory
    without the tokenizer vocabulary: it must take the installed copy (not
    the source tree's), and serve the installed client."""
    model = tmp_path / "model"
    model.mkdir()
    for f in ("cosyvoice.yaml", "llm.pt", "flow.pt", "hift.pt", "spk2info.pt"):
        shutil.copy(os.path.join(MODEL, f), model / f)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    srv = Server("--engine", "cosyvoice", "--model-dir", str(model), "--engine-opt", "seed=1",
                 "--engine-opt", "fixed_tokens=120", command=(under(installed, "bin", "cosyvoice-server"),),
                 env=CLEAN_ENV, cwd=str(elsewhere))
    try:
        log = srv.wait_log("tokenizer vocabulary")
        vocab = re.search(r"tokenizer vocabulary (\S+)", log).group(1)
        assert vocab == under(installed, "share", "cosyvoice-c", "multilingual.tiktoken")
        out = elsewhere / "neural.wav"
        r = subprocess.run([under(installed, "bin", "cosyvoice-client"), "--port", str(srv.port),
                            "--spk_id", "英文女", "--tts_text", "Hello.", "--tts_wav", str(out)],
                           env=CLEAN_ENV, cwd=str(elsewhere), capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        assert wav_frames(str(out)) > 0
    finally:
        assert srv.stop() == 0, srv.logs()
    # the default engine, straight to a file with the installed synth tool
    out = elsewhere / "default.wav"
    r = subprocess.run([under(installed, "bin", "cosyvoice-synth"), "-o", str(out),
                        "你好，欢迎使用语音合成服务。"], env=CLEAN_ENV, cwd=str(elsewhere),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert wav_frames(str(out)) > 22050 // 2


def hiding_the_trees():
    """A command prefix that runs a program in a mount namespace of its own
    where the source tree and the build tree are empty tmpfs mounts, or None
    where this machine allows no such namespace."""
    hide = [ROOT] + ([BUILD] if not os.path.realpath(BUILD).startswith(os.path.realpath(ROOT) + "/")
                     else [])
    script = 'for d in $CV_HIDE; do mount -t tmpfs -o ro none "$d" || exit 97; done; exec "$@"'
    prefix = ["unshare", "--mount", *(["--map-root-user"] if os.getuid() != 0 else []),
              "/bin/sh", "-c", script, "sh"]
    probe = subprocess.run([*prefix, "/bin/ls", "-A", ROOT], capture_output=True, text=True,
                           env={**CLEAN_ENV, "CV_HIDE": " ".join(hide)})
    if probe.returncode != 0 or probe.stdout.strip():
        return None, None
    return prefix, " ".join(hide)


def test_installed_programs_work_with_the_trees_hidden(installed, tmp_path):
    """As on a machine that never had the source: the source and build trees
    are hidden (empty mounts), the vocabulary can only be the installed one,
    and the server, the client and the synth tool still work."""
    prefix, hide = hiding_the_trees()
    if prefix is None:
        pytest.skip("no mount namespace here (unshare --mount refused)")
    env = {**CLEAN_ENV, "CV_HIDE": hide}
    model = tmp_path / "model"
    model.mkdir()
    for f in ("cosyvoice.yaml", "llm.pt", "flow.pt", "hift.pt", "spk2info.pt"):
        shutil.copy(os.path.join(MODEL, f), model / f)
    srv = Server("--engine", "cosyvoice", "--model-dir", str(model), "--engine-opt", "seed=1",
                 "--engine-opt", "fixed_tokens=60",
                 command=(*prefix, under(installed, "bin", "cosyvoice-server")), env=env,
                 cwd=str(tmp_path))
    try:
        log = srv.wait_log("tokenizer vocabulary")
        assert re.search(r"tokenizer vocabulary (\S+)", log).group(1) == \
            under(installed, "share", "cosyvoice-c", "multilingual.tiktoken")
        out = tmp_path / "neural.wav"
        r = subprocess.run([*prefix, under(installed, "bin", "cosyvoice-client"), "--port",
                            str(srv.port), "--spk_id", "英文女", "--tts_text", "Hello.",
                            "--tts_wav", str(out)], env=env, cwd=str(tmp_path),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert wav_frames(str(out)) > 0
    finally:
        assert srv.stop() == 0, srv.logs()
    out = tmp_path / "default.wav"
    r = subprocess.run([*prefix, under(installed, "bin", "cosyvoice-synth"), "-o", str(out),
                        "Hello there, this is the default engine."], env=env,
                       cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert wav_frames(str(out)) > 22050 // 2


def render_man(path):
    """The page as man formats it, and groff's warnings (what lintian checks)."""
    r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", path],
                       capture_output=True, text=True, env={**CLEAN_ENV, "MANWIDTH": "80"})
    text = re.sub(r".\x08", "", r.stdout)  # drop overstriking
    return r.returncode, text, r.stderr


@pytest.mark.parametrize("program", PROGRAMS)
def test_man_page_is_the_help_text(installed, program):
    page = under(installed, "share", "man", "man1", f"{program}.1.gz")
    with gzip.open(page, "rt") as f:
        assert f".TH {program.upper()} \"1\"" in f.read()
    rc, text, warnings = render_man(page)
    assert rc == 0 and not warnings, warnings
    assert project_version() in text
    help_text = subprocess.run([under(installed, "bin", program), "--help"], env=CLEAN_ENV,
                               capture_output=True, text=True, timeout=60).stdout
    options = set(re.findall(r"--[a-z][a-z_-]+", help_text))
    assert options or program in ("cosyvoice-make-random-model", "cosyvoice-onnx-info")
    missing = [o for o in options if o not in text]
    assert not missing, f"options of --help not in the man page: {missing}"


def modversion(pkg):
    return subprocess.run(["pkg-config", "--modversion", pkg], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.parametrize("program", [SERVER, CLIENT])
def test_version_names_the_libraries(program):
    r = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"{os.path.basename(program)} {project_version()}"
    text = r.stdout
    assert f"gRPC core {modversion('grpc')}\n" in text
    dnnl = ".".join(re.search(rf"#define DNNL_VERSION_{part} (\d+)",
                              open("/usr/include/oneapi/dnnl/dnnl_version.h").read()).group(1)
                    for part in ("MAJOR", "MINOR", "PATCH"))
    assert re.search(rf"compute backend: oneDNN {re.escape(dnnl)} \(ISA \w+", text)
    assert f"fftw-{modversion('fftw3f')}" in text
    assert f"espeak-ng {modversion('espeak-ng')}," in text
    flite = re.search(r'FLITE_PROJECT_VERSION "([^"]+)"',
                      open("/usr/include/flite/flite_version.h").read()).group(1)
    assert text.rstrip().endswith(f"flite {flite}")


def test_uninstall_removes_everything(tmp_path):
    plain, edited = tmp_path / "plain", tmp_path / "edited"
    for d in (plain, edited):
        r = make("install", destdir=d)
        assert r.returncode == 0, r.stdout + r.stderr
    options = os.path.join(str(edited) + PREFIX, "etc", "default", "cosyvoice-server")
    with open(options, "a") as f:
        f.write('COSYVOICE_OPTS="--port 50001"\n')

    r = make("uninstall", destdir=plain)
    assert r.returncode == 0, r.stdout + r.stderr
    left = [os.path.join(dp, f) for dp, _, files in os.walk(plain) for f in files]
    assert left == []
    # the project's own directories are gone; shared ones (bin, man1) may stay
    assert not os.path.exists(str(plain) + PREFIX + "/share/cosyvoice-c")
    assert not os.path.exists(str(plain) + PREFIX + "/share/doc/cosyvoice-c")

    # an edited options file is the operator's: kept, and said so
    r = make("uninstall", destdir=edited)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"keeping {options}" in r.stdout
    left = [os.path.join(dp, f) for dp, _, files in os.walk(edited) for f in files]
    assert left == [options]
