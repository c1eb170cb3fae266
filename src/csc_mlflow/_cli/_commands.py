"""``policy``, ``status``, ``ethics``, ``dq``, ``report`` and ``atrs``: one library call each.

Errors are not caught here: the group in :mod:`._main` maps them to exit codes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from csc_mlflow._cli._exits import blocked
from csc_mlflow._cli._output import emit_json, json_option, progress, say, table, verdict
from csc_mlflow._cli._store import existing_store, version_number

__all__ = ["atrs", "dq", "ethics", "policy", "report", "status"]


@click.group()
def policy() -> None:
    """Work with the governance policy (governance.yaml)."""


@policy.command("validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@json_option
def policy_validate(file: str | None, as_json: bool) -> None:
    """Check FILE (default: $CSC_MLFLOW_POLICY or ./governance.yaml): its schema, and that
    every suite, ethics file and key it names exists and reads."""
    from csc_mlflow._cli._references import reference_problems
    from csc_mlflow._policy_io import load_policy

    loaded = load_policy(file)
    problems = reference_problems(loaded)
    if problems:
        raise click.ClickException(
            f"{loaded.source}: {len(problems)} problem(s) with what the policy refers to:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    if as_json:
        emit_json(
            {
                "source": str(loaded.source),
                "valid": True,
                "project": loaded.project.name,
                "sha256": loaded.sha256,
                "evidence_sha256": loaded.evidence_sha256,
            }
        )
        return
    say(
        f"{loaded.source}: ",
        verdict("valid", upper=False),
        f" policy for project {loaded.project.name!r}",
    )
    say(f"sha256: {loaded.sha256}")
    say(
        f"evidence sha256: {loaded.evidence_sha256} (runs are sealed with it; the gate, "
        "stages and signing sections are outside it and read afresh at each promotion)"
    )


@click.command()
@click.argument("run_id")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", help="MLflow tracking URI.")
@json_option
def status(run_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Print RUN_ID's governance status and every reason; exit 3 unless it passed."""
    from csc_mlflow._verify import get_status

    result = get_status(run_id, tracking_uri=existing_store(tracking_uri))
    if as_json:
        emit_json(result.to_dict())
    else:
        say(f"run {result.run_id}: governance status ", verdict(result.status))
        if result.decision is not None:
            for reason in result.decision.reasons:
                say(f"  - {reason}")
        if result.verified:
            say(f"evidence verified against manifest {result.manifest_sha256}")
        else:
            say(verdict("failed"), ": EVIDENCE NOT VERIFIED")
            for problem in result.problems:
                say(f"  - {problem}")
    if result.status != "passed" or not result.verified:
        blocked()


@click.group()
def ethics() -> None:
    """The Ethics Triage and Ethics Workbook: templates, the interactive triage, checks."""


@ethics.command("init")
@click.option(
    "--dir", "folder", default="ethics", show_default=True, type=click.Path(file_okay=False)
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@json_option
def ethics_init(folder: str, force: bool, as_json: bool) -> None:
    """Write blank, commented triage.yaml and workbook.yaml templates into --dir."""
    from csc_mlflow.ethics._templates import triage_template, workbook_template

    target = Path(folder)
    outputs = {
        target / "triage.yaml": triage_template(),
        target / "workbook.yaml": workbook_template(),
    }
    existing = [str(p) for p in outputs if p.exists()]
    if existing and not force:
        raise click.ClickException(
            f"{', '.join(existing)} already exist; pass --force to overwrite them"
        )
    target.mkdir(parents=True, exist_ok=True)
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    following = (
        "'csc-mlflow ethics triage' to answer the triage, fill in the workbook, then "
        "'csc-mlflow ethics check'"
    )
    if as_json:
        emit_json({"written": [str(p) for p in outputs], "next": following})
        return
    for path in outputs:
        say(f"wrote {path}")
    say(f"next: {following}")


@ethics.command("triage")
@click.option(
    "--output",
    "-o",
    default="ethics/triage.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
)
@click.option("--force", is_flag=True, help="Overwrite an existing answers file.")
@json_option
def ethics_triage(output: str, force: bool, as_json: bool) -> None:
    """Ask the triage questions (only those shown for earlier answers) and write the answers."""
    from csc_mlflow._cli._prompt import ask
    from csc_mlflow.ethics._templates import run_triage, triage_template
    from csc_mlflow.ethics._triage import evaluate_triage

    path = Path(output)
    answers: dict[str, Any] = {}
    if path.exists() and not force:
        answers = _answers_so_far(path)
        if answers and evaluate_triage(answers).complete:
            raise click.ClickException(
                f"{path} already holds a complete triage; pass --force to answer it afresh"
            )
        if answers:
            click.echo(f"{path}: resuming ({len(answers)} answers kept; the rest follow)")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        run_triage(ask, answers)
    except (click.Abort, EOFError, KeyboardInterrupt):
        path.write_text(triage_template(answers), encoding="utf-8")
        click.echo("")
        raise click.ClickException(
            f"the triage was interrupted; the {len(answers)} answers given are saved in {path}. "
            "Run 'csc-mlflow ethics triage' again to continue where you stopped"
        ) from None
    result = evaluate_triage(answers)
    path.write_text(triage_template(answers), encoding="utf-8")
    # Each rule's reason once, however many themes it flags.
    rationales = list(dict.fromkeys(r for theme in result.flagged for r in theme.rationales))
    if as_json:
        emit_json(
            {
                "written": str(path),
                "risk": result.risk,
                "flagged": [theme.label for theme in result.flagged],
                "rationales": rationales,
            }
        )
        return
    say(f"wrote {path}")
    say(f"risk level: {result.risk}")
    if result.flagged:
        say("themes flagged (see the Ethics Workbook's section for each):")
        for theme in result.flagged:
            say(f"  - {theme.label}")
    if rationales:
        say("why:")
        for rationale in rationales:
            say(f"  - {rationale}")


def _answers_so_far(path: Path) -> dict[str, Any]:
    """The answers in ``path`` (none for the blank template ``ethics init`` writes)."""
    from csc_mlflow.ethics._answers import read_answer_file

    answers = read_answer_file(path, "Ethics Triage answers")  # unreadable: an error naming it
    return {key: value for key, value in answers.items() if value not in (None, "", [])}


@ethics.command("check")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), help="Policy file.")
@click.option(
    "--triage",
    "triage_path",
    type=click.Path(dir_okay=False, exists=True),
    help="Triage answers (default: the policy's, else ethics/triage.yaml).",
)
@click.option(
    "--workbook",
    "workbook_path",
    type=click.Path(dir_okay=False, exists=True),
    help="Workbook (default: the policy's, else ethics/workbook.yaml).",
)
@click.option(
    "--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Check dates as of this day."
)
@json_option
def ethics_check(
    policy_path: str | None,
    triage_path: str | None,
    workbook_path: str | None,
    today: datetime | None,
    as_json: bool,
) -> None:
    """Report missing answers, unsigned roles, expired review dates and empty flagged themes.

    Works on the answer files alone; with a policy, its sign-off rules and review limit apply
    too."""
    from csc_mlflow._policy import EthicsPolicy, Policy, Project
    from csc_mlflow._policy_io import find_policy_file, load_policy
    from csc_mlflow.ethics._records import check_ethics

    found = find_policy_file(policy_path)
    loaded = load_policy(found) if found is not None or policy_path is not None else None
    configured = loaded.ethics if loaded is not None else None
    # Files given here are relative to this folder; the policy's, to the policy's folder.
    triage = _absolute(triage_path) or (configured.triage if configured else None)
    workbook = _absolute(workbook_path) or (configured.workbook if configured else None)
    if loaded is None:
        triage = triage or _if_present("ethics/triage.yaml")
        workbook = workbook or _if_present("ethics/workbook.yaml")
    if not (triage or workbook):
        raise click.ClickException(
            "no ethics files to check: give --triage and --workbook, run 'csc-mlflow ethics "
            "init' to write templates, or name them in the policy ('ethics: {triage: ..., "
            "workbook: ...}')"
        )
    ethics = (configured or EthicsPolicy()).model_copy(
        update={"triage": triage, "workbook": workbook}
    )
    if loaded is None:
        loaded = Policy(
            version=1, project=Project(name="(no policy)", owner="(no policy)"), ethics=ethics
        )
        alone = "no policy found: checking the files alone (no sign-off rules, no review limit)"
    else:
        loaded = loaded.model_copy(update={"ethics": ethics})
        alone = None
    decision = check_ethics(loaded, today=today.date() if today is not None else None)
    if as_json:
        emit_json({**decision.to_dict(), "policy": None if alone else str(loaded.source)})
    else:
        if alone:
            say(alone)
        say("ethics: ", verdict(decision.status))
        for reason in decision.reasons:
            say(f"  - {reason}")
    if not decision.passed:
        blocked()


def _if_present(path: str) -> str | None:
    return path if Path(path).is_file() else None


def _absolute(path: str | None) -> str | None:
    return str(Path(path).resolve()) if path else None


@click.group()
def dq() -> None:
    """Data quality: validate data against DfE rules encoded as expectation suites."""


@dq.command("validate")
@click.argument("data", type=click.Path())
@click.option(
    "--suite", help="For one CSV file: a shipped suite (ssda903/episodes@2024-25) or a file."
)
@click.option(
    "--header",
    "header_path",
    type=click.Path(dir_okay=False),
    help="For one CSV file: the SSDA903 Header CSV, whose DOB is joined on CHILD.",
)
@click.option(
    "--collection",
    type=click.Choice(["903", "cin"]),
    help="For a whole return: 903 (a folder of CSV files) or cin (the census XML).",
)
@click.option("--year", help="For a whole return: the collection year (2024-25).")
@click.option(
    "--last-year",
    "last_year",
    type=click.Path(file_okay=False),
    help="For a return folder: last year's return, for the rules that compare years.",
)
@click.option(
    "--block-on", type=click.Choice(["error", "query"]), default="error", show_default=True
)
@json_option
def dq_validate(
    data: str,
    suite: str | None,
    header_path: str | None,
    collection: str | None,
    year: str | None,
    last_year: str | None,
    block_on: str,
    as_json: bool,
) -> None:
    """Validate DATA against the DfE rules; exit 3 if a blocking rule fails.

    DATA is a return folder (the DfE CSV files of an SSDA903 return, one per table; give
    --collection 903 and --year), a CIN census XML file (or a folder holding one; give
    --collection cin and --year) or one CSV file (give --suite).
    """
    if Path(data).is_dir() or collection == "cin" or data.lower().endswith(".xml"):
        _validate_return(data, collection, year, last_year, block_on, as_json)
        return
    if suite is None:
        raise click.UsageError(
            f"{data}: give --suite for one CSV file, or a return folder with --collection 903 "
            "--year 2024-25"
        )
    from csc_mlflow.quality._csv import read_with_header
    from csc_mlflow.quality._log import payload
    from csc_mlflow.quality._suite import load_suite
    from csc_mlflow.quality._validate import validate_frame

    loaded = load_suite(suite)
    with progress(f"reading {data}") as step:
        frame, forms = read_with_header(data, loaded.columns, header_path)
        step(f"validating {len(frame):,} rows against {loaded.ref} ({len(loaded.rules)} rules)")
        result = validate_frame(frame, loaded, block_on=block_on)
    body = payload(result, name="cli", digest=None)
    if as_json:
        out = body.to_json()
        out["date_forms"] = forms
        emit_json(out)
    else:
        say(f"{data}: {result.rows} rows against {loaded.ref}: ", verdict(result.status))
        if forms:
            say("dates read as: " + ", ".join(f"{c} {form}" for c, form in sorted(forms.items())))
        _rule_table(body.rules)
    if result.status == "failed":
        blocked()


def _rule_table(rules: Any) -> None:
    if any(rule.suppressed for rule in rules):
        say("(c: a count of 1 to 5, withheld under DfE disclosure control)")
    rows = []
    for rule in rules:
        outcome = verdict("ok") if rule.success else verdict("fail")
        percent = "" if rule.unexpected_percent is None else f"{rule.unexpected_percent:.2f}"
        checked = "c" if "element_count" in rule.suppressed else str(rule.element_count or 0)
        failed = "c" if "unexpected_count" in rule.suppressed else str(rule.unexpected_count or 0)
        rows.append((rule.rule, rule.severity, outcome, checked, failed, percent, rule.description))
    table(
        ("rule", "severity", "result", "rows", "failed", "%", "description"),
        rows,
        right=("rows", "failed", "%"),
    )


def _validate_return(
    folder: str,
    collection: str | None,
    year: str | None,
    last_year: str | None,
    block_on: str,
    as_json: bool,
) -> None:
    from csc_mlflow.quality._log import payload
    from csc_mlflow.quality._read_cin import read_cin_census
    from csc_mlflow.quality._read_return import read_return
    from csc_mlflow.quality._return import validate_return

    if collection is None or year is None:
        kind = "a CIN census" if folder.lower().endswith(".xml") else "a return folder"
        raise click.UsageError(
            f"{folder} is {kind}: give --collection (903 or cin) and --year (e.g. 2024-25)"
        )
    if collection == "cin" and last_year:
        raise click.UsageError(
            "--last-year: no shipped CIN census rule compares years; leave it out"
        )
    with progress(f"reading {folder}") as step:
        if collection == "cin":
            tables = read_cin_census(_census_file(Path(folder)))
            previous = None
        else:
            tables = read_return(folder)
            previous = read_return(last_year) if last_year else None
        rows = sum(len(t) for t in tables.values())
        step(f"validating {len(tables)} tables ({rows:,} rows) against the {year} rules")
        result = validate_return(
            tables, collection=collection, year=year, last_year=previous, block_on=block_on
        )
    bodies = [(r, payload(r, name="cli", digest=None)) for r in result.results]
    if as_json:
        out = {
            "status": result.status,
            "collection": result.collection,
            "year": result.year,
            "suites": [b.to_json() for _, b in bodies],
            "not_run": [
                {"suite": n.suite, "reason": n.reason, "rules": n.rules} for n in result.not_run
            ],
        }
        emit_json(out)
    else:
        failed = sum(len(r.failed) for r in result.results)
        say(
            f"{folder}: {result.collection} return {result.year}, {len(tables)} tables, "
            f"{result.rules_run} rules run, {failed} failed: ",
            verdict(result.status),
            (
                f" ({sum(n.rules for n in result.not_run)} rules not run, listed at the end)"
                if result.not_run
                else ""
            ),
        )
        for outcome, body in bodies:
            say(f"\n{outcome.suite.table} ({outcome.rows} rows, {outcome.suite.ref})")
            _rule_table(body.rules)
        for skipped in result.not_run:
            say(f"\nnot run: {skipped.suite} ({skipped.rules} rules): {skipped.reason}")
    if result.status == "failed":
        blocked()


def _census_file(path: Path) -> Path:
    """The CIN census XML: ``path`` itself, or the one .xml file in the folder ``path``."""
    if not path.is_dir():
        return path
    found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".xml")
    if len(found) != 1:
        raise click.UsageError(
            f"{path}: expected one CIN census .xml file in the folder; found {len(found)}. "
            "Give the file itself."
        )
    return found[0]


@click.command()
@click.argument("run_id")
@click.option(
    "-o", "--output", default="report.html", show_default=True, type=click.Path(dir_okay=False)
)
@click.option(
    "--render",
    is_flag=True,
    help="Render afresh from the run's records instead of fetching the sealed report.",
)
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), help="Policy file.")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
@json_option
def report(
    run_id: str,
    output: str,
    render: bool,
    policy_path: str | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """Fetch RUN_ID's sealed governance report, verified against its manifest, into OUTPUT
    (exit 3, nothing written, when it was never sealed or does not verify)."""
    tracking_uri = existing_store(tracking_uri)
    if render:
        _render_report(run_id, output, policy_path, tracking_uri, as_json)
        return
    from csc_mlflow._verify import get_status

    status = get_status(run_id, tracking_uri=tracking_uri)
    outcome: dict[str, Any] = {
        "run_id": run_id,
        "status": status.status,
        "verified": status.verified,
        "manifest_sha256": status.manifest_sha256,
        "rendered": False,
        "written": None,
    }
    if status.manifest is None:
        message = (
            f"run {run_id} was never sealed, so it has no sealed report; nothing written "
            "('--render' renders one from its records, unverified)"
        )
        _say_or_json(as_json, {**outcome, "problems": [message]}, message)
        blocked()
    if not status.verified or status.sealed_report is None:
        problems = list(status.problems or ("the report does not match the manifest",))
        _say_or_json(
            as_json,
            {**outcome, "problems": problems},
            f"run {run_id}: the sealed evidence does not verify; nothing written:",
            *(f"  - {p}" for p in problems),
        )
        blocked()
    Path(output).write_bytes(status.sealed_report)
    _say_or_json(
        as_json,
        {**outcome, "written": output, "problems": []},
        f"wrote {output}: the sealed report of run {run_id} (governance status "
        f"{status.status.upper()}), verified against manifest {status.manifest_sha256}",
    )


def _say_or_json(as_json: bool, value: Any, *lines: str) -> None:
    if as_json:
        emit_json(value)
    else:
        for line in lines:
            say(line)


def _render_report(
    run_id: str, output: str, policy_path: str | None, tracking_uri: str | None, as_json: bool
) -> None:
    from csc_mlflow._resolve import resolve_policy
    from csc_mlflow.report._summary import rendered_report

    given = resolve_policy(policy_path) if policy_path is not None else None
    html, basis = rendered_report(run_id, tracking_uri=tracking_uri, policy=given)
    Path(output).write_text(html, encoding="utf-8")
    _say_or_json(
        as_json,
        {"run_id": run_id, "rendered": True, "written": output, "policy": basis},
        f"wrote {output}: rendered afresh from the run's records with {basis} (not the sealed "
        "report)",
    )


@click.command()
@click.argument("model")
@click.argument("version", callback=version_number)
@click.option(
    "-o", "--output", default="atrs-draft.md", show_default=True, type=click.Path(dir_okay=False)
)
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), help="Policy file.")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI")
@json_option
def atrs(
    model: str,
    version: str,
    output: str,
    policy_path: str | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """Write an ATRS draft for MODEL VERSION, pre-filled from the evidence."""
    from csc_mlflow.report._atrs import TODO, atrs_draft

    text = atrs_draft(model, version, tracking_uri=existing_store(tracking_uri), policy=policy_path)
    Path(output).write_text(text, encoding="utf-8")
    todo = text.count(TODO)
    _say_or_json(
        as_json,
        {"model": model, "version": version, "written": output, "fields_to_complete": todo},
        f"wrote {output}: {todo} field(s) need a person ({TODO})",
    )
