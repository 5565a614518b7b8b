"""The Debian package (`make deb`, CPack): its name, Depends covering every
shared library the programs link, lintian without errors, and dpkg
installing, removing and purging it in a throwaway root (dpkg --root with
the maintainer scripts run outside a chroot, DPKG_ROOT set), which knows the
packages of this machine so that Depends must be satisfiable here."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT
from test_install import project_version

PACKAGE = "cosyvoice-c"
UNIT = "cosyvoice-server.service"


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    out = tmp_path_factory.mktemp("deb")
    r = run("cpack", "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"),
            "-B", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    debs = [f for f in os.listdir(out) if f.endswith(".deb")]
    assert len(debs) == 1, debs
    return os.path.join(out, debs[0])


def control(deb, field):
    return run("dpkg-deb", "-f", deb, field).stdout.strip()


def test_name_and_version(deb):
    arch = run("dpkg", "--print-architecture").stdout.strip()
    assert os.path.basename(deb) == f"{PACKAGE}_{project_version()}_{arch}.deb"
    assert control(deb, "Version") == project_version()
    changelog = run("dpkg-parsechangelog", "-l", os.path.join(ROOT, "deploy", "debian", "changelog"),
                    "-S", "Version").stdout.strip()
    assert changelog == project_version(), "add a deploy/debian/changelog entry for the version"


def depends_of(pkg):
    """Packages an installed package depends on (shlibs may name a library
    through a package that offers a choice of builds, as libopenblas0 does
    for -pthread, -openmp or -serial)."""
    deps = run("dpkg-query", "-W", "-f=${Depends}", pkg).stdout
    return {alt.split()[0] for d in deps.split(",") for alt in d.split("|") if alt.strip()}


def test_depends_cover_every_linked_library(deb, tmp_path):
    depends = {d.split()[0] for d in control(deb, "Depends").split(", ")}
    assert "adduser" in depends
    run("dpkg-deb", "-x", deb, str(tmp_path))
    bindir = tmp_path / "usr" / "bin"
    libs = run("ldconfig", "-p").stdout
    needed = set()
    for prog in os.listdir(bindir):
        dyn = run("readelf", "-d", str(bindir / prog)).stdout
        needed |= set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dyn))
    assert any(n.startswith("libgrpc.so") for n in needed), needed
    missing = []
    for soname in sorted(needed):
        path = re.search(rf"^\s+{re.escape(soname)} \(libc6,x86-64[^)]*\) => (\S+)$", libs, re.M)
        assert path, f"{soname} not known to ldconfig"
        owner = run("dpkg", "-S", os.path.realpath(path.group(1)))
        if owner.returncode != 0:  # merged /usr: dpkg knows the /lib spelling
            owner = run("dpkg", "-S", path.group(1))
        pkg = owner.stdout.split(":")[0]
        if pkg not in depends and not any(pkg in depends_of(d) for d in depends):
            missing.append(f"{soname} ({pkg})")
    assert not missing, f"Depends lacks {missing}: {control(deb, 'Depends')}"


def test_lintian_finds_no_errors(deb):
    r = run("lintian", "--fail-on", "error", "--tag-display-limit", "0", deb)
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not re.search(r"^E: ", r.stdout, re.M), r.stdout


def dpkg(root, *args):
    force = ["--force-script-chrootless"]
    if os.getuid() != 0:
        force.append("--force-not-root")
    # dpkg logs to the host's /var/log/dpkg.log even with --root
    return run("dpkg", f"--root={root}", f"--log={root}/dpkg.log", *force, *args)


def files_of_package(root):
    return [l for l in open(os.path.join(root, "var/lib/dpkg/info", f"{PACKAGE}.list")).read().split()]


def test_install_remove_purge_in_throwaway_root(deb, tmp_path):
    root = str(tmp_path / "root")
    admin = os.path.join(root, "var", "lib", "dpkg")
    for d in ("info", "updates", "triggers"):
        os.makedirs(os.path.join(admin, d))
    # this machine's packages, so that Depends is checked for real
    shutil.copy("/var/lib/dpkg/status", os.path.join(admin, "status"))
    open(os.path.join(admin, "available"), "w").close()

    r = dpkg(root, "-i", deb)
    assert r.returncode == 0, r.stdout + r.stderr
    status = run("dpkg-query", f"--admindir={admin}", "-W", "-f=${Status}", PACKAGE).stdout
    assert status == "install ok installed"
    at = lambda *p: os.path.join(root, *p)  # noqa: E731
    for f in ("usr/bin/cosyvoice-server", "usr/bin/cosyvoice-client",
              "usr/share/cosyvoice-c/multilingual.tiktoken", f"lib/systemd/system/{UNIT}",
              "usr/lib/sysusers.d/cosyvoice-c.conf", "usr/share/man/man1/cosyvoice-server.1.gz",
              "usr/share/doc/cosyvoice-c/copyright"):
        assert os.path.exists(at(f)), f
    unit = open(at("lib/systemd/system", UNIT)).read()
    assert "ExecStart=/usr/bin/cosyvoice-server $COSYVOICE_OPTS" in unit
    assert "EnvironmentFile=-/etc/default/cosyvoice-server" in unit
    assert run("dpkg-query", f"--admindir={admin}", "-W", "-f=${Conffiles}", PACKAGE) \
        .stdout.split()[0] == "/etc/default/cosyvoice-server"
    # postinst: the system user, and the service enabled
    passwd = open(at("etc/passwd")).read()
    assert re.search(r"^cosyvoice:x:\d+:\d+:[^:]*:/nonexistent:/usr/sbin/nologin$", passwd, re.M)
    assert os.path.islink(at("etc/systemd/system/multi-user.target.wants", UNIT))
    r = run(at("usr/bin/cosyvoice-server"), "--version")
    assert r.returncode == 0 and r.stdout.startswith(f"cosyvoice-server {project_version()}\n")

    installed = files_of_package(root)
    r = dpkg(root, "-r", PACKAGE)
    assert r.returncode == 0, r.stdout + r.stderr
    # remove keeps the conffile, masks the unit (no restart of a half-removed package)
    assert os.path.exists(at("etc/default/cosyvoice-server"))
    assert not os.path.exists(at("usr/bin/cosyvoice-server"))
    assert not os.path.exists(at("etc/systemd/system/multi-user.target.wants", UNIT))

    r = dpkg(root, "--purge", PACKAGE)
    assert r.returncode == 0, r.stdout + r.stderr
    left = [f for f in installed if os.path.isfile(root + f) or os.path.islink(root + f)]
    assert left == [], left
    assert not os.path.lexists(at("etc/default/cosyvoice-server"))
    assert not os.path.lexists(at("etc/systemd/system", UNIT))  # mask lifted
    assert run("dpkg-query", f"--admindir={admin}", "-W", PACKAGE).returncode != 0
