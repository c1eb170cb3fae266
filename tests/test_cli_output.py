"""What the command prints: JSON on every command (errors too), colour only in a terminal,
plain aligned rows when piped, progress only on standard error."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from csc_mlflow._cli import main
from csc_mlflow.datasets import make_ssda903

from .conftest import REPO

ANSI = re.compile(r"\x1b\[[0-9;]*m")
POLICY = str(REPO / "examples" / "governance.yaml")
SUITE = "ssda903/episodes@2024-25"


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def test_every_command_takes_json() -> None:
    every = commands(main)
    assert len(every) >= 14
    for path in every:
        command: click.Command = main
        for name in path:
            assert isinstance(command, click.Group)
            command = command.commands[name]
        options = {o for p in command.params for o in getattr(p, "opts", ())}
        assert "--json" in options, " ".join(path)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["policy", "validate", "no-such.yaml", "--json"], 1),
        (["status", "abc", "--tracking-uri", "sqlite:///no/such/mlflow.db", "--json"], 1),
        (["gate", "check", "m", "one", "--alias", "staging", "--json"], 2),
        (["atrs", "m", "0", "--json"], 2),
        (["dq", "validate", "x.csv", "--json"], 2),
        (["ethics", "check", "--triage", "missing.yaml", "--json"], 2),
    ],
)
def test_errors_under_json_are_json_with_the_exit_code(
    args: list[str], code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code, result.output
    body = json.loads(result.stdout)
    assert body["exit_code"] == code
    assert body["error"]
    assert "Traceback" not in result.output


def test_results_under_json_parse(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["policy", "validate", POLICY, "--json"])
    body = json.loads(result.stdout)
    assert body["valid"] is True
    assert body["evidence_sha256"] != body["sha256"]
    result = CliRunner().invoke(main, ["ethics", "init", "--dir", str(tmp_path / "e"), "--json"])
    assert json.loads(result.stdout)["written"][0].endswith("triage.yaml")
    result = CliRunner().invoke(main, ["gate", "keygen", "--dir", str(tmp_path / "k"), "--json"])
    assert json.loads(result.stdout)["public_key"].endswith(".pem")


def _episodes(tmp_path: Path) -> Path:
    data = make_ssda903(400, seed=5, collection_year="2024-25")
    path = tmp_path / "episodes.csv"
    data.episodes.merge(data.header[["CHILD", "DOB"]], on="CHILD").to_csv(path, index=False)
    return path


def test_piped_output_is_plain_one_line_per_rule(tmp_path: Path) -> None:
    episodes = _episodes(tmp_path)
    result = CliRunner().invoke(main, ["dq", "validate", str(episodes), "--suite", SUITE])
    assert result.exit_code in (0, 3), result.output
    assert not ANSI.search(result.output)
    body = CliRunner().invoke(main, ["dq", "validate", str(episodes), "--suite", SUITE, "--json"])
    rules = json.loads(body.stdout)["rules"]
    lines = result.output.splitlines()
    for rule in rules:  # each rule, with its whole description, on one line
        assert any(
            line.split()[:1] == [rule["rule"]] and line.rstrip().endswith(rule["description"])
            for line in lines
        ), rule["rule"]


def _in_a_terminal(args: list[str], **env: str) -> str:
    """Run the command with a pseudo-terminal as its standard output; what it printed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "csc_mlflow._cli", *args],
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "120", **env},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode()


def test_a_terminal_gets_colour_unless_no_color() -> None:
    coloured = _in_a_terminal(["policy", "validate", POLICY])
    assert ANSI.search(coloured), coloured
    assert "valid" in ANSI.sub("", coloured)
    plain = _in_a_terminal(["policy", "validate", POLICY], NO_COLOR="1")
    assert not ANSI.search(plain), plain


def test_progress_goes_to_standard_error_only(tmp_path: Path) -> None:
    episodes = _episodes(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "csc_mlflow._cli", "dq", "validate", str(episodes)]
        + ["--suite", SUITE, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "CSC_MLFLOW_PROGRESS": "always"},
        timeout=300,
    )
    assert done.returncode in (0, 3), done.stderr
    json.loads(done.stdout)  # nothing but the result
    assert "validating 400 rows" in done.stderr or "validating" in done.stderr
    quiet = subprocess.run(
        [sys.executable, "-m", "csc_mlflow._cli", "dq", "validate", str(episodes)]
        + ["--suite", SUITE],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "validating" not in quiet.stderr  # piped: no spinner
