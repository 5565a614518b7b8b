"""Runs a program under the kernel-enforced restrictions a systemd unit file
asks for, without systemd: the tests cannot start services, but they can
check that the server still works inside its unit's sandbox.

Reproduced, as Debian 12's systemd (252) implements them with seccomp:
  SystemCallFilter= (allow list and ~deny lists, groups expanded by
      `systemd-analyze syscall-filter`, i.e. systemd's own tables),
      SystemCallErrorNumber= (the answer to a filtered call),
  MemoryDenyWriteExecute= (no mapping both writable and executable, no
      mprotect/pkey_mprotect with PROT_EXEC, no shmat with SHM_EXEC),
  RestrictAddressFamilies= (socket() of other families: EAFNOSUPPORT),
  NoNewPrivileges=.
Not reproduced (mount namespaces, users, /proc views): ProtectSystem=,
ProtectHome=, PrivateTmp=, PrivateDevices=, PrivateUsers=, ProtectProc=,
ProcSubset=, DynamicUser=."""
import ctypes
import errno
import mmap
import os
import socket
import subprocess
import sys

import seccomp  # Debian: python3-seccomp

PR_SET_NO_NEW_PRIVS = 38
SHM_EXEC = 0o100000
AF_MAX = 46


def service_settings(unit_path):
    """[Service] settings of a unit file: name -> list of values (a setting
    may be given several times)."""
    settings = {}
    section = None
    with open(unit_path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]" and "=" in line:
                key, value = line.split("=", 1)
                settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def _syscall_groups():
    """@group -> its members (syscalls and nested @groups), from systemd."""
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"],
                         capture_output=True, text=True, check=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), [])
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.append(line.strip())
    return groups


def _expand(names, groups):
    result = set()
    for n in names:
        if n.startswith("@"):
            result |= _expand(groups[n], groups)
        else:
            result.add(n)
    return result


def allowed_syscalls(values):
    """The allow list SystemCallFilter= lines describe: the first line
    without ~ sets it, each ~ line removes from it (systemd's rule)."""
    groups = _syscall_groups()
    allowed = None
    for v in values:
        deny = v.startswith("~")
        names = _expand(v.lstrip("~").split(), groups)
        if deny:
            assert allowed is not None, "a deny-only SystemCallFilter is not reproduced"
            allowed -= names
        else:
            allowed = names if allowed is None else allowed | names
    return allowed


def _add(f, action, name, *args):
    try:
        f.add_rule(action, name, *args)
    except (RuntimeError, ValueError, OSError):
        pass  # a syscall this architecture does not have (systemd skips them too)


def load_filters(unit_path):
    """Applies the unit's restrictions to this process (and so to what it
    executes next)."""
    s = service_settings(unit_path)
    filters = []
    if "SystemCallFilter" in s:
        err = getattr(errno, s.get("SystemCallErrorNumber", ["EPERM"])[-1])
        f = seccomp.SyscallFilter(defaction=seccomp.ERRNO(err))
        for name in sorted(allowed_syscalls(s["SystemCallFilter"])):
            _add(f, seccomp.ALLOW, name)
        filters.append(f)
    if s.get("MemoryDenyWriteExecute", ["no"])[-1] == "yes":
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        wx = mmap.PROT_WRITE | mmap.PROT_EXEC
        deny = seccomp.ERRNO(errno.EPERM)
        _add(f, deny, "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, wx, wx))
        _add(f, deny, "mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, mmap.PROT_EXEC, mmap.PROT_EXEC))
        _add(f, deny, "pkey_mprotect",
             seccomp.Arg(2, seccomp.MASKED_EQ, mmap.PROT_EXEC, mmap.PROT_EXEC))
        _add(f, deny, "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
        filters.append(f)
    if "RestrictAddressFamilies" in s:
        allowed = {getattr(socket, name) for name in s["RestrictAddressFamilies"][-1].split()}
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for fam in range(AF_MAX + 1):
            if fam not in allowed:
                _add(f, seccomp.ERRNO(errno.EAFNOSUPPORT), "socket",
                     seccomp.Arg(0, seccomp.EQ, fam))
        filters.append(f)
    if s.get("NoNewPrivileges", ["no"])[-1] == "yes" or filters:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    # The syscall allow list goes last: it may not allow seccomp() itself.
    for f in reversed(filters):
        f.load()


def command(unit_path, program):
    """The command line that runs program (a list) inside the unit's
    restrictions: a fresh single-threaded Python loads them, then executes
    the program (no preexec_fn in a threaded test process)."""
    return [sys.executable, os.path.abspath(__file__), unit_path, "--", *program]


if __name__ == "__main__":
    unit, sep, *argv = sys.argv[1:]
    assert sep == "--" and argv, "usage: unit_sandbox.py UNIT -- PROGRAM [ARGS...]"
    load_filters(unit)
    os.execv(argv[0], argv)
