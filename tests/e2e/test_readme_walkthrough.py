"""The README's first walk-through, command by command, against the real platform.

The commands are read from README.md itself and run with the real `faio` in a shell, as a
person would; each `<placeholder>` is filled with the value an earlier command printed on a
`label: value` line (`clinic id: ...` fills `<clinic-id>`). Where the platform is eventually
consistent (a clinic reaching audit over Kafka, findings becoming initiatives), the test waits
for the state the next command needs, never for a fixed time, and then runs it as printed.
"""

import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.e2e.stack import HTTP_SERVICES, ROOT, VENV_BIN, Stack, running_stack

README = ROOT / "README.md"
PRINTED_VALUE = re.compile(r"^([a-z][a-z -]*[a-z]): (\S+)$")
PLACEHOLDER = re.compile(r"<[a-z][a-z-]*>")
SPARK = re.compile("[▁▂▃▄▅▆▇█]")


def walkthrough_commands(readme: str) -> list[str]:
    """The shell commands of the first ```bash block after '## A first walk through'."""
    section = readme.split("## A first walk through", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    commands, pending = [], ""
    for raw in block.splitlines():
        line = re.sub(r"\s+#.*$", "", raw).rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        commands.append(pending + line.strip())
        pending = ""
    return commands


class Shell:
    """Runs commands the way the README's reader does, remembering what they printed."""

    def __init__(self, stack: Stack, workdir: Path) -> None:
        self.workdir = workdir
        self.values: dict[str, str] = {}
        self.environment = {
            **os.environ,
            **stack.cli_environment(),
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "COLUMNS": "200",  # rich never folds a table cell
        }
        self.environment.pop("FAIO_TOKEN", None)
        self.stack = stack

    def fill(self, command: str) -> str:
        def value(match: re.Match[str]) -> str:
            placeholder = match.group(0)
            assert placeholder in self.values, (
                f"no earlier command printed {placeholder}: {sorted(self.values)}"
            )
            return self.values[placeholder]

        return PLACEHOLDER.sub(value, command)

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        if command.startswith("export "):
            name, _, value = command.removeprefix("export ").partition("=")
            self.environment[name] = value
            return subprocess.CompletedProcess(command, 0, "", "")
        done = subprocess.run(
            ["/bin/bash", "-c", command],
            cwd=self.workdir,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        for line in done.stdout.splitlines():
            if match := PRINTED_VALUE.match(line):
                self.values[f"<{match.group(1).replace(' ', '-')}>"] = match.group(2)
        return done

    def json(self, command: str) -> Any:
        done = self.run(self.fill(command) + " --json")
        return json.loads(done.stdout) if done.returncode == 0 else None

    def wait_until(self, command: str, ready: Callable[[Any], bool], *, within: float = 120.0) -> None:
        deadline = time.monotonic() + within
        while not ready(answer := self.json(command)):
            if time.monotonic() > deadline:
                pytest.fail(f"`{command}` never got ready: {answer}\n{self.stack.log_tails()}")
            time.sleep(1.0)


# What the next README command needs the platform to have done first (Kafka and workflows
# are asynchronous): a command to poll with --json, and when its answer is good enough.
READY_BEFORE: list[tuple[str, str, Callable[[Any], bool]]] = [
    ("faio audit open", "faio audit list <clinic-id>", lambda audits: audits is not None),
    (
        "faio initiative list",
        "faio initiative list <clinic-id>",
        lambda listing: bool(listing and listing["recommended_id"]),
    ),
    ("faio plan pause", "faio plan show <plan-id>", lambda plan: bool(plan and plan["live"])),
    ("faio partner create", "faio kpi alerts <clinic-id>", lambda alerts: alerts is not None),
    # The portal's read model learns of the clinic from intake's events.
    ("faio report", "faio report --clinic <clinic-id>", lambda written: written is not None),
    (
        "faio kpi show",
        "faio kpi show <clinic-id>",
        lambda kpis: bool(kpis) and any(p["value"] is not None for s in kpis["kpis"] for p in s["points"]),
    ),
]
# What a person sees when a step worked.
SHOWS: dict[str, str | re.Pattern[str]] = {
    "faio officer create": "Officer created",
    "faio prospect invite": "/p/",
    "faio strategy map": "Strategy map",
    "faio audit link": "/t/",
    "faio plan buy-in train": "training held: 2 attended",
    "faio plan buy-in survey": "results show from 5 answers",
    "faio catalog list": "vendor(s)",
    "faio assessment submit": "Readiness:",
    "faio audit import": "imported",
    "faio audit close": "closed",
    "faio audit findings": "Automation candidates",
    "faio initiative approve": "plan id:",
    "faio plan pause": "paused",
    "faio partner send-demo-events": "accepted",
    "faio kpi show": SPARK,
    "faio officer login": "/sign-in?token=",
    "faio report": "report: ",
}


def test_the_readme_speaks_only_faio() -> None:
    commands = walkthrough_commands(README.read_text())
    assert len(commands) >= 20, commands
    for command in commands:
        assert command.startswith(("faio ", "export ")), command
    groups = {command.split()[1] for command in commands if command.startswith("faio ")}
    expected = {"officer", "prospect", "clinic", "assessment", "strategy", "audit", "initiative", "plan"}
    expected |= {"partner", "kpi", "catalog"}
    assert expected <= groups


def walk_through(stack: Stack, workdir: Path) -> None:
    """Run the README's walk-through against `stack`, as printed, checking what each step shows."""
    workdir.mkdir()
    (workdir / "services").symlink_to(ROOT / "services")  # the README's relative example paths
    shell = Shell(stack, workdir)
    for printed in walkthrough_commands(README.read_text()):
        for prefix, poll, ready in READY_BEFORE:
            if printed.startswith(prefix):
                shell.wait_until(poll, ready)
        done = shell.run(shell.fill(printed))
        print(f"$ {printed}\n{done.stdout}{done.stderr}")  # the walk-through as it ran (pytest -s)
        assert done.returncode == 0, (
            f"`{printed}` failed ({done.returncode})\n{done.stdout}\n{done.stderr}\n{stack.log_tails()}"
        )
        for prefix, expected in SHOWS.items():
            if printed.startswith(prefix):
                shown = (
                    expected.search(done.stdout)
                    if isinstance(expected, re.Pattern)
                    else expected in done.stdout
                )
                assert shown, f"`{printed}` did not show {expected}:\n{done.stdout}"
    assert (workdir / "answers.yaml").read_text().startswith("questionnaire_version:")


async def test_the_readme_walkthrough_runs_as_printed(
    kafka: str, temporal: WorkflowEnvironment, tmp_path: Path
) -> None:
    target = temporal.client.service_client.config.target_host
    services = (*HTTP_SERVICES, "portal")  # the portal builds the practice report (`faio report`)
    with running_stack(kafka=kafka, temporal=target, data_dir=tmp_path, services=services) as stack:
        walk_through(stack, tmp_path / "work")
