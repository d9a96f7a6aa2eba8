"""A lab of real OpenSSH ``sshd`` test hosts on loopback, for ``invoke qa``.

Each host is its own sshd process with its own host key, port, authorized_keys and work
dir. Beside them: a host that accepts TCP and never speaks, and a port where nothing
listens. Everything binds to 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mycelium.qa.resources import SilentListener
from tests.integration.servers import ServerStartError, free_port, log_tail, require

START_TIMEOUT_S = 20.0
# What uv and pip on a lab host need to reach the package index from this machine.
PASSTHROUGH = ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY",
               "https_proxy", "http_proxy", "no_proxy", "UV_INDEX_URL", "UV_DEFAULT_INDEX",
               "PIP_INDEX_URL", "PIP_CERT", "UV_CACHE_DIR")  # fmt: skip


def keygen(path: Path, comment: str) -> Path:
    subprocess.run(
        [
            str(require("ssh-keygen")),
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            comment,
            "-f",
            str(path),
        ],
        check=True,
        timeout=30,
    )
    return path


@dataclass
class SSHHost:
    """One sshd on 127.0.0.1 that lets ``root`` in with the lab's client key."""

    name: str
    root: Path
    client_public_key: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    sftp: str = "internal-sftp"  # what the Subsystem line runs (a hostile host: a sleeper)

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_ed25519_key"

    @property
    def log_path(self) -> Path:
        return self.root / "sshd.log"

    @property
    def workdir(self) -> Path:
        return self.root / "work"

    def known_hosts_line(self) -> str:
        key_type, key = self.host_key.with_suffix(".pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {key_type} {key}\n"

    def start(self) -> SSHHost:
        self.root.mkdir(parents=True, exist_ok=True)
        self.workdir.mkdir(exist_ok=True)
        if not self.host_key.exists():  # a restart keeps the host's identity
            keygen(self.host_key, f"lab-host-{self.name}")
        (self.root / "authorized_keys").write_text(self.client_public_key)
        config = self.root / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key}",
                    f"PidFile {self.root / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.root / 'authorized_keys'}",
                    "StrictModes no",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "PermitRootLogin prohibit-password",
                    f"Subsystem sftp {self.sftp}",
                    "LogLevel VERBOSE",
                    "PrintMotd no",
                    "MaxStartups 50",
                    "",
                ]
            )
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(require("sshd")), "-D", "-e", "-f", str(config)], stdout=log, stderr=log
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                msg = f"sshd {self.name} exited while starting:\n{log_tail(self.log_path)}"
                raise ServerStartError(msg)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(8).startswith(b"SSH-"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        msg = f"sshd {self.name} did not answer within {START_TIMEOUT_S:.0f}s"
        raise ServerStartError(msg)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@dataclass
class Lab:
    root: Path
    client_key: Path
    hosts: dict[str, SSHHost]
    silent: SilentListener
    closed_port: int

    def stop(self) -> None:
        for host in self.hosts.values():
            host.stop()
        self.silent.stop()

    def write_known_hosts(self, home: Path, *, skip: tuple[str, ...] = ("unknownkey",)) -> Path:
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        known = ssh_dir / "known_hosts"
        lines = [h.known_hosts_line() for n, h in self.hosts.items() if n not in skip]
        known.write_text("".join(lines))
        return known

    def host_vars(self, name: str) -> dict[str, Any]:
        host = self.hosts[name]
        return {
            "ansible_host": "127.0.0.1",
            "ansible_port": host.port,
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(self.client_key),
            "mycelium_workdir": str(host.workdir),
        }

    def inventory(self, path: Path, extra: dict[str, dict[str, Any]] | None = None) -> Path:
        """An inventory of the whole lab, in groups a maintainer would write."""
        uv_dir = Path(shutil.which("uv") or "uv").resolve().parent
        hosts = {name: self.host_vars(name) for name in self.hosts}
        hosts["failing"]["mycelium_qa_args"] = "--only installation --expect-version 99.0"
        for name, values in (extra or {}).items():
            hosts.setdefault(name, {}).update(values)
        data = {
            "all": {
                "vars": {
                    "mycelium_pythons": ["python3.11"],
                    "mycelium_qa_args": "--only installation,configuration,platform",
                    "mycelium_env": {
                        "PATH": f"{uv_dir}:/usr/local/bin:/usr/bin:/bin",
                        **{k: os.environ[k] for k in PASSTHROUGH if k in os.environ},
                    },
                },
                "children": {
                    "healthy": {"hosts": {n: hosts[n] for n in ("h1", "h2", "h3")}},
                    "broken": {
                        "hosts": {
                            "failing": hosts["failing"],
                            "wrongkey": hosts["wrongkey"],
                            "unknownkey": hosts["unknownkey"],
                            "silent": {
                                "ansible_host": "127.0.0.1",
                                "ansible_port": self.silent.port,
                                "ansible_user": "root",
                                "ansible_ssh_private_key_file": str(self.client_key),
                            },
                            "closed": {
                                "ansible_host": "127.0.0.1",
                                "ansible_port": self.closed_port,
                                "ansible_user": "root",
                                "ansible_ssh_private_key_file": str(self.client_key),
                            },
                        }
                    },
                },
            }
        }
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path


def start_lab(root: Path) -> Lab:
    if os.geteuid() != 0:
        msg = "the SSH lab logs in as root; run the integration tests as root (CI does)"
        raise ServerStartError(msg)
    root.mkdir(parents=True, exist_ok=True)
    client_key = keygen(root / "client_key", "lab-client")
    public = client_key.with_suffix(".pub").read_text()
    stranger = keygen(root / "stranger_key", "lab-stranger").with_suffix(".pub").read_text()
    hosts: dict[str, SSHHost] = {}
    silent = SilentListener().start()
    lab = Lab(root=root, client_key=client_key, hosts=hosts, silent=silent, closed_port=free_port())
    try:
        for name in ("h1", "h2", "h3", "failing", "unknownkey"):
            hosts[name] = SSHHost(name, root / name, public).start()
        # This host only trusts another key: our login is refused.
        hosts["wrongkey"] = SSHHost("wrongkey", root / "wrongkey", stranger).start()
    except BaseException:
        lab.stop()
        raise
    return lab
