"""A network namespace of its own for one broker, so the suite can cut it off the network and heal it.

The namespace is joined to the machine by a veth pair: the machine's end is HOST_ADDRESS (where the
other brokers listen too, so the cut-off one reaches them through the pair), the namespace's end
NAMESPACE_ADDRESS. Cutting sets the namespace's end down: no packet crosses either way, while both
processes keep running (unlike a kill, or a SIGSTOP that freezes the broker itself).

Needs root and `ip netns` (iproute2); `available()` says whether this machine allows it.
"""

import subprocess
import uuid

HOST_ADDRESS = "10.77.0.1"
NAMESPACE_ADDRESS = "10.77.0.2"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class NetworkNamespace:
    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:6]
        self.name = f"faio-{suffix}"
        self.host_end = f"fh-{suffix}"
        self.namespace_end = f"fn-{suffix}"

    @property
    def command_prefix(self) -> list[str]:
        """Run a command inside the namespace (`ip netns exec` execs it: its pid is the command's)."""
        return ["ip", "netns", "exec", self.name]

    def create(self) -> None:
        ip("netns", "add", self.name)
        ip(
            "link",
            "add",
            self.host_end,
            "type",
            "veth",
            "peer",
            "name",
            self.namespace_end,
            "netns",
            self.name,
        )
        ip("addr", "add", f"{HOST_ADDRESS}/30", "dev", self.host_end)
        ip("link", "set", self.host_end, "up")
        ip("-n", self.name, "addr", "add", f"{NAMESPACE_ADDRESS}/30", "dev", self.namespace_end)
        ip("-n", self.name, "link", "set", "lo", "up")
        ip("-n", self.name, "link", "set", self.namespace_end, "up")
        ip("-n", self.name, "route", "add", "default", "via", HOST_ADDRESS)

    def cut(self) -> None:
        ip("-n", self.name, "link", "set", self.namespace_end, "down")

    def heal(self) -> None:
        ip("-n", self.name, "link", "set", self.namespace_end, "up")
        ip("-n", self.name, "route", "replace", "default", "via", HOST_ADDRESS)  # dropped with the link

    def delete(self) -> None:
        subprocess.run(["ip", "netns", "del", self.name], check=False, capture_output=True)  # and its veth


def available() -> bool:
    """Whether network namespaces and veth pairs can be made here (root, iproute2, a kernel allowing it)."""
    probe = NetworkNamespace()
    try:
        probe.create()
    except (OSError, subprocess.CalledProcessError):
        return False
    finally:
        probe.delete()
    return True
