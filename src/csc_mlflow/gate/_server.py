"""``mlflow server --app-name csc-governance``: the gate enforced at the tracking server.

Every request that sets a registry alias or moves a version to a stage (the UI,
``MlflowClient``, the REST API, under any ``--static-prefix``) is judged first; a blocked
promotion is refused with HTTP 403 and the decision's reasons, and every decision is
recorded in the ledger, which only the server writes. Hardening:

- the app reads its own stores directly (the backend store and artefacts destination it was
  started with), never through a URL built from the request;
- the check and the set happen under one lock per model (a file lock, shared by every
  worker), renames take the same locks, and after the set the alias is judged again and
  reverted, with a ledger entry, if anything changed in between;
- a malformed body gets 400, never 500; a waiver comes in the ``X-CSC-Waiver`` header (or
  from a ledger entry that verifies) and is judged by the server's policy.

The server needs the policy: set ``CSC_MLFLOW_POLICY`` in its environment.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any, Final

from flask import Response, g, request
from mlflow.server import app as flask_app

from csc_mlflow.exceptions import CscMlflowError

_logger = logging.getLogger("csc_mlflow")

_GUARDED: Final = re.compile(
    r"/(?:api|ajax-api)/\d+\.\d+/mlflow/"
    r"(registered-models/alias|model-versions/transition-stage|registered-models/rename|"
    r"model-versions/set-tag|model-versions/delete-tag|registered-models/delete|"
    r"model-versions/delete)/?$"
)
_FREE_STAGES: Final = frozenset({"none", "archived"})
LEDGER_REFUSAL: Final = "csc-governance keeps the ledger"
WAIVER_HEADER: Final = "X-CSC-Waiver"
CLIENT_BLOCKED_HEADER: Final = "X-CSC-Client-Blocked"


class _BadRequest(Exception):
    """A request body the gate cannot read (answered with 400)."""


# --- the server's own stores -----------------------------------------------------------------

_store: Any = None


def _own_store() -> Any:
    """A registry store on the stores this server was started with (never the request's URL)."""
    global _store
    if _store is None:
        from mlflow.server.constants import (
            ARTIFACTS_DESTINATION_ENV_VAR,
            BACKEND_STORE_URI_ENV_VAR,
            REGISTRY_STORE_URI_ENV_VAR,
            SERVE_ARTIFACTS_ENV_VAR,
        )

        from csc_mlflow._registry import RegistryStore
        from csc_mlflow._runs import serve_artifacts_from, tracking_client

        backend = os.environ.get(BACKEND_STORE_URI_ENV_VAR)
        registry = os.environ.get(REGISTRY_STORE_URI_ENV_VAR) or backend
        if os.environ.get(SERVE_ARTIFACTS_ENV_VAR, "").lower() == "true":
            serve_artifacts_from(os.environ.get(ARTIFACTS_DESTINATION_ENV_VAR))
        _store = RegistryStore(tracking_client(backend, registry_uri=registry))
    return _store


def _policy(model: str) -> Any:
    """The policy that judges ``model``: ``$CSC_MLFLOW_POLICY``, or, when that names a folder
    of policies, the model's own (``<model>.yaml``, else ``default.yaml``; else refused)."""
    from csc_mlflow._resolve import policy_for_model

    return policy_for_model(model)


# --- locks -----------------------------------------------------------------------------------


def _lock_dir() -> Path:
    folder = Path(os.environ.get("CSC_MLFLOW_LOCK_DIR") or tempfile.gettempdir())
    folder = folder / f"csc-mlflow-locks-{os.getuid() if hasattr(os, 'getuid') else 0}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def _hold(names: list[str]) -> Any:
    """Hold the lock of every model in ``names`` (sorted, so two requests cannot deadlock)."""
    handles = []
    try:
        for name in sorted(set(names)):
            digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]
            handle = (_lock_dir() / f"{digest}.lock").open("a")
            fcntl.flock(handle, fcntl.LOCK_EX)
            handles.append(handle)
        yield
    finally:
        for handle in reversed(handles):
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


# --- requests --------------------------------------------------------------------------------


def _body() -> dict[str, Any]:
    """The request's JSON body as MLflow reads it (a double-encoded string decoded twice)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if request.args:
            return dict(request.args)
        return {}
    try:
        value = json.loads(raw)
        if isinstance(value, str):
            value = json.loads(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _BadRequest(f"the request body is not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise _BadRequest("the request body must be a JSON object")
    return value


def _field(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
        raise _BadRequest(f"the request body needs {key!r} as a non-empty string")
    return str(value)


def _before() -> Response | None:
    matched = _GUARDED.search(request.path)
    if matched is None or request.method not in ("POST", "DELETE", "PATCH"):
        return None
    route = matched.group(1)
    try:
        body = _body()
        if route in ("model-versions/set-tag", "model-versions/delete-tag"):
            return _guard_tag(body)
        names = [_field(body, "name")]
        if route == "registered-models/rename":
            names.append(_field(body, "new_name"))
        lock = _hold(names)
        lock.__enter__()
        g.csc_lock = lock
        if route == "registered-models/alias" and request.method == "POST":
            return _judge_alias(body)
        if route == "model-versions/transition-stage":
            return _judge_stage(body)
        return None
    except _BadRequest as exc:
        return _reply(400, "INVALID_PARAMETER_VALUE", f"csc-governance: {exc}")
    except CscMlflowError as exc:  # a policy the server cannot find or read: refused, said
        return _refuse(f"csc-governance could not judge the request: {exc}; nothing changed")
    except Exception as exc:  # the gate fails closed, and never with a 500
        _logger.exception("csc-mlflow: the server gate failed")
        return _refuse(
            f"csc-governance could not judge the request ({type(exc).__name__}); nothing changed"
        )


def _guard_tag(body: dict[str, Any]) -> Response | None:
    from csc_mlflow import _names as names

    key = str(body.get("key", ""))
    if key.startswith(names.GATE_TAG_PREFIX):
        return _refuse(
            f"{LEDGER_REFUSAL}: model-version tags under {names.GATE_TAG_PREFIX!r} are written "
            "by the server only; promote with 'csc-mlflow gate promote' or set the alias"
        )
    if key == names.MONITOR_LAST_TAG and request.method == "POST":
        g.csc_monitored = (_field(body, "name"), _field(body, "version"))
    return None


def _act_on_monitoring(name: str, version: str) -> None:
    """A batch was recorded on a version: act on it as the server's policy says, from the
    monitoring run's verified seal (never from the tag the client wrote)."""
    from csc_mlflow._runs import RunWriter
    from csc_mlflow.gate._monitoring import act_on_breach, last_monitoring

    store = _own_store()
    policy = _policy(name)
    if policy.monitoring is None:
        return
    tags = store.model_version(name, version).tags
    last = last_monitoring(RunWriter(store.client), policy, name, version, tags)
    status = last.status if last.problem is None else "unverifiable"
    reasons = (last.problem,) if last.problem is not None else last.reasons
    act_on_breach(
        store, policy, name, version, last.run_id, status or "unverifiable", reasons, who=_actor()
    )
    _summarise(name, version)


_authenticated = False
"""True when the server runs MLflow's basic-auth app too (``--app-name csc-governance-auth``):
the actor is then the user MLflow authenticated, never what the client says."""


def _actor() -> str:
    if _authenticated:
        user = g.get("mlflow_authenticated_user")
        if not user:
            raise _BadRequest("the request carries no authenticated user")
        return str(user)
    auth = request.authorization
    return (auth.username if auth and auth.username else None) or request.headers.get(
        "X-CSC-Actor", "server"
    )


def _groups_of(user: str) -> tuple[str, ...]:
    """The MLflow roles (groups) MLflow's administrator gave ``user``: what ``group:<name>``
    in the policy's ``roles`` matches (none without MLflow's authentication)."""
    if not _authenticated:
        return ()
    from mlflow.exceptions import MlflowException
    from mlflow.server.auth import store

    try:
        found = store.list_user_roles(store.get_user(user).id)
    except (MlflowException, AttributeError):  # no such user, or an MLflow without roles
        return ()
    # Each user's own grants sit on a hidden role of theirs, ``__user_<id>__``: not a group.
    return tuple(r.name for r in found if not re.fullmatch(r"__user_\d+__", r.name))


def _may_promote(name: str, version: str, alias: str) -> Response | None:
    """``gate.<alias>.promoters``: the authenticated user must hold one of those roles (the
    refusal is written in the ledger, naming them)."""
    policy = _policy(name)
    wanted = policy.gate[alias].promoters if alias in policy.gate else ()
    if not wanted:
        return None
    if not _authenticated:
        return _refuse(
            f"csc-governance: the policy says who may move {alias!r} ({', '.join(wanted)}), but "
            "this server does not authenticate users; start it with --app-name "
            "csc-governance-auth"
        )
    user = _actor()
    held = policy.roles_of(user, _groups_of(user))
    if set(held) & set(wanted):
        return None
    from csc_mlflow._evidence import Reason
    from csc_mlflow._gate_decision import GateDecision

    note = Reason(
        "gate.not_a_promoter",
        f"alias {alias}",
        f"{user} ({', '.join(held) or 'no role'}) may not move {alias!r}: the policy lets "
        f"{', '.join(wanted)} do so",
        "failed",
    )
    refusal = GateDecision(
        model=name,
        version=version,
        alias=alias,
        decision="blocked",
        reasons=(note,),
        policy_sha256=policy.sha256,
    )
    _record(refusal)
    return _refuse(f"csc-governance gate blocked setting alias {alias!r}: {note.message}")


def _waiver() -> Any:
    text = request.headers.get(WAIVER_HEADER)
    if not text:
        return None
    from pydantic import ValidationError

    from csc_mlflow._evidence import Waiver

    try:
        return Waiver.model_validate_json(text)
    except ValidationError as exc:
        raise _BadRequest(f"the {WAIVER_HEADER} header is not a waiver ({exc})") from exc


def _decide(name: str, version: str, alias: str) -> Any:
    """The gate's decision with the server's policy and stores, waivers applied."""
    from csc_mlflow._gate_decision import apply_waiver
    from csc_mlflow.gate._check import check_with
    from csc_mlflow.gate._waivers import recorded_waiver

    store = _own_store()
    waiver = _waiver()
    decision = check_with(store, name, version, alias, policy=_policy(name))
    client_blocked = request.headers.get(CLIENT_BLOCKED_HEADER)
    if client_blocked is not None:
        import dataclasses

        from csc_mlflow._evidence import Reason

        note = Reason(
            "gate.client_blocked",
            "gate",
            f"the client's own check blocked this promotion (its policy "
            f"{client_blocked[:12]}); the server refuses it",
            "failed",
        )
        return dataclasses.replace(decision, decision="blocked", reasons=decision.reasons + (note,))
    if decision.passed:
        return decision
    policy = _policy(name)
    if waiver is not None:
        if _authenticated and waiver.role not in policy.roles_of(_actor(), _groups_of(_actor())):
            import dataclasses

            from csc_mlflow._evidence import Reason

            note = Reason(
                "waiver.not_your_role",
                "waiver",
                f"{_actor()} does not hold the role {waiver.role!r} the waiver is given in "
                "(the policy's roles say who holds which)",
                "failed",
            )
            return dataclasses.replace(decision, reasons=decision.reasons + (note,))
        return apply_waiver(decision, waiver, policy, date.today())
    return recorded_waiver(store, decision, policy, date.today())


def _record(decision: Any) -> Response | None:
    try:
        _own_store().append(decision, who=_actor(), via="server")
    except Exception as exc:  # noqa: BLE001 - an unrecorded decision is refused
        return _refuse(f"the gate could not record its decision ({exc}); nothing was changed")
    return None


def _judge_alias(body: dict[str, Any]) -> Response | None:
    name, alias, version = _field(body, "name"), _field(body, "alias"), _field(body, "version")
    refused = _may_promote(name, version, alias)
    if refused is not None:
        return refused
    decision, refused = _judged(
        name, version, alias, f"setting alias {alias!r} on {name} version {version}"
    )
    if refused is not None:
        return refused
    g.csc_set = (name, alias, version, _own_store().alias_version(name, alias), decision)
    return None


def _judge_stage(body: dict[str, Any]) -> Response | None:
    name, version, stage = _field(body, "name"), _field(body, "version"), _field(body, "stage")
    if stage.lower() in _FREE_STAGES:
        return None
    policy = _policy(name)
    canonical = stage.capitalize()
    alias = policy.stages.get(canonical)
    if alias is None:
        return _refuse(
            f"csc-governance gate blocked moving {name} version {version} to stage {stage!r}: "
            f"the policy maps no requirements to it; add 'stages: {{{canonical}: <alias>}}' "
            "(stages are judged like the alias they name), or use aliases"
        )
    _, refused = _judged(
        name,
        version,
        alias,
        f"moving {name} version {version} to stage {canonical!r} (judged as alias {alias!r})",
    )
    return refused


def _judged(name: str, version: str, alias: str, action: str) -> tuple[Any, Response | None]:
    """The decision, recorded; and the refusal to send when it blocks (or cannot be recorded)."""
    decision = _decide(name, version, alias)
    refused = _record(decision)
    if refused is None and not decision.passed:
        reasons = "; ".join(str(r) for r in decision.reasons if r.blocking)
        refused = _refuse(f"csc-governance gate blocked {action}: {reasons}")
        _summarise(name, version)  # the refusal is in the ledger: the summary shows it too
    return decision, refused


def _summarise(name: str, version: str) -> None:
    """Bring the version's summary up to date with the ledger (a courtesy: never fails)."""
    from csc_mlflow.report._summary import describe_version

    try:
        describe_version(name, version, client=_own_store().client)
    except Exception:  # noqa: BLE001 - the ledger already holds the decision
        _logger.warning("csc-mlflow: could not update the summary of %s %s", name, version)


def _after(response: Response) -> Response:
    """Judge an alias again once it is set; revert it, with a ledger entry, if it fails now.
    Act on a monitored batch once it is recorded on its version."""
    monitored = g.pop("csc_monitored", None)
    if monitored is not None and response.status_code == 200:
        try:
            with _hold([monitored[0]]):
                _act_on_monitoring(*monitored)
        except Exception:  # the gate still refuses the version: it verifies the run itself
            _logger.exception("csc-mlflow: acting on monitoring of %s failed", monitored[0])
    done = g.pop("csc_set", None)
    if done is None or response.status_code != 200:
        return response
    name, alias, version, before, first = done
    try:
        store = _own_store()
        now = store.alias_version(name, alias)
        second = _decide(name, version, alias) if now == version else None
        if second is not None and second.passed and second.manifest_sha256 == first.manifest_sha256:
            _summarise(name, version)
            return response
        _revert(store, name, alias, version, before)
        import dataclasses

        from csc_mlflow._evidence import Reason

        basis = second if second is not None else first
        note = Reason(
            "gate.reverted",
            "gate",
            f"alias {alias!r} was reverted: what it points at changed between the check and "
            "the set",
            "failed",
        )
        store.append(
            dataclasses.replace(basis, decision="blocked", reasons=basis.reasons + (note,)),
            who=_actor(),
            via="server",
        )
        _summarise(name, version)
        return _refuse(f"csc-governance reverted alias {alias!r} on {name}: {note.message}")
    except Exception:
        _logger.exception("csc-mlflow: re-checking alias %s on %s failed", alias, name)
        with contextlib.suppress(Exception):
            _revert(_own_store(), name, alias, version, before)
        return _refuse(f"csc-governance could not re-check alias {alias!r}; it was reverted")


def _revert(store: Any, name: str, alias: str, version: str, before: str | None) -> None:
    if before is not None and before != version:
        store.set_alias(name, alias, before)
    elif store.alias_version(name, alias) is not None:
        store.delete_alias(name, alias)


def _teardown(_: BaseException | None) -> None:
    lock = g.pop("csc_lock", None)
    if lock is not None:
        lock.__exit__(None, None, None)


def _reply(status: int, code: str, message: str) -> Response:
    payload = {"error_code": code, "message": message}
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def _refuse(message: str) -> Response:
    return _reply(403, "PERMISSION_DENIED", message)


def _health() -> Response:
    return Response(
        json.dumps({"ok": True, "policy": os.environ.get("CSC_MLFLOW_POLICY")}),
        mimetype="application/json",
    )


def _monitoring_policy(model: str) -> Any:
    """The model's policy's ``monitoring`` section, if it can be read (charts only)."""
    try:
        return _policy(model).monitoring
    except Exception:  # noqa: BLE001 - the page still shows the history without the bound
        return None


def _governance_page() -> Response:
    """Registered models with their governance status, aliases, reasons and gate history,
    linking to each run and its report; styled to sit beside MLflow's own pages."""
    from html import escape

    from csc_mlflow import _names as names
    from csc_mlflow._registry import monitor_history
    from csc_mlflow._runs import RunWriter
    from csc_mlflow._stages import stage_label
    from csc_mlflow.report._monitoring import history_svg

    store = _own_store()
    charts = []
    runs = RunWriter(store.client)
    prefix = os.environ.get(_PREFIX_ENV, "").rstrip("/")
    rows = []
    for model in store.registered_models():
        # Aliases from the registered model (version searches do not carry them).
        aliases_of: dict[str, list[str]] = {}
        for alias, version in (store.client.get_registered_model(model.name).aliases or {}).items():
            aliases_of.setdefault(str(version), []).append(alias)
        for mv in store.versions(model.name):
            status, links, reasons, project_stage = "not governed", "", "", ""
            if mv.run_id:
                run = runs.get_run(mv.run_id)
                tags = run.data.tags
                status = tags.get(names.STATUS_TAG, "not governed")
                if status != "passed":
                    reasons = tags.get(names.PLAIN_SUMMARY_TAG) or tags.get(names.REASONS_TAG, "")
                project_stage = stage_label(tags.get(names.STAGE_TAG))
                page = f"{prefix}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
                links = (
                    f'<a href="{escape(page)}">run</a> &middot; '
                    f'<a href="{escape(page + "/artifacts/" + names.REPORT_PATH)}">report</a>'
                )
            entries = store.ledger(model.name, str(mv.version)).entries
            history = (
                "<br>".join(
                    escape(f"{e.time[:16]} {e.alias}: {e.decision} ({e.actor}, {e.via})")
                    for e in entries[-5:]
                )
                or "no gate decisions"
            )
            batches = monitor_history(mv.tags)
            monitoring = (
                "<br>".join(
                    f'<a href="{escape(prefix)}/#/experiments/{escape(e.experiment_id)}/runs/'
                    f'{escape(e.run_id)}">'
                    f"{escape(e.batch[:24])}</a> ({escape(e.time[:10])}) {escape(e.status)}"
                    f"{escape(' (outcomes)' if e.outcomes else '')}"
                    + (f": {escape('; '.join(e.breaches)[:120])}" if e.breaches else "")
                    for e in reversed(batches[-5:])
                )
                or "not monitored"
            )
            if batches:
                policy = _monitoring_policy(model.name)
                psi_max = policy.drift.psi_max if policy is not None else None
                charts.append(
                    f"<section><h2>Monitoring: {escape(model.name)} version "
                    f"{escape(str(mv.version))}</h2>{history_svg(batches, psi_max=psi_max)}"
                    "</section>"
                )
            aliases = ", ".join(sorted(aliases_of.get(str(mv.version), []))) or "none"
            stage = mv.current_stage if mv.current_stage and mv.current_stage != "None" else ""
            stage = ", ".join(x for x in (project_stage, stage and f"MLflow: {stage}") if x)
            version_page = f"{prefix}/#/models/{model.name}/versions/{mv.version}"
            rows.append(
                f"<tr><td>{escape(model.name)}</td>"
                f'<td><a href="{escape(version_page)}">{escape(str(mv.version))}</a></td>'
                f'<td><span class="s s-{escape(status)}">{escape(status.upper())}</span>'
                f'<div class="why">{escape(reasons[:900])}</div></td>'
                f"<td>{escape(aliases)}</td><td>{escape(stage)}</td>"
                f"<td>{history}</td><td>{monitoring}</td><td>{links}</td></tr>"
            )
    body = "".join(rows) or '<tr><td colspan="8">No registered models.</td></tr>'
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Governance - MLflow</title><style>"
        "body{font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,"
        "sans-serif;margin:0;color:#11171c;font-size:13px}"
        "header{background:#0e1416;color:#fff;padding:10px 24px;display:flex;gap:16px;"
        "align-items:center}header a{color:#fff;text-decoration:none;font-weight:600}"
        "main{padding:16px 24px}h1{font-size:18px;font-weight:600;margin:4px 0 12px}"
        "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d1d9e1;"
        "padding:6px 8px;text-align:left;vertical-align:top}th{color:#5f7281;font-weight:600}"
        "a{color:#2272b4}.s{border-radius:4px;padding:1px 6px;color:#fff;font-weight:600;"
        "background:#5f7281}.s-passed{background:#277c43}.s-failed{background:#c82d4c}"
        ".why{color:#5f7281;margin-top:2px;max-width:48em;white-space:pre-line}"
        "svg{vertical-align:top;margin:0 16px 8px 0}</style></head><body>"
        f'<header><a href="{escape(prefix)}/">&larr; MLflow</a><span>CSC governance</span>'
        f'<a href="{escape(prefix)}/#/models">Models</a></header><main>'
        "<h1>Registered models: governance</h1>"
        '<table><thead><tr><th scope="col">Model</th><th scope="col">Version</th>'
        '<th scope="col">Governance status (the gate verifies the seal)</th>'
        '<th scope="col">Aliases</th><th scope="col">Stage (guidance; MLflow)</th>'
        '<th scope="col">Gate history (latest 5)</th><th scope="col">Monitoring (latest 5)</th>'
        '<th scope="col">Links</th></tr></thead>'
        f"<tbody>{body}</tbody></table>{''.join(charts)}</main></body></html>"
    )
    return Response(html, mimetype="text/html")


_PREFIX_ENV: Final = "_MLFLOW_STATIC_PREFIX"


def create_app_with_auth(app: Any = flask_app) -> Any:
    """MLflow's basic-auth app and the gate in one server (``--app-name csc-governance-auth``):
    MLflow authenticates each request and checks its permissions first; the gate then judges
    it, records the authenticated user as the actor, and checks the policy's roles."""
    import mlflow.server.auth as auth

    global _authenticated
    _authenticated = True
    # MLflow's authentication refuses routes it does not know (fail closed). /csc/health says
    # only that the gate is here (clients ask it before they promote); /csc/governance is
    # for any signed-in user, as MLflow's own pages are.
    for known, path in (
        ("_UNPROTECTED_PATH_PREFIXES", "/csc/health"),
        ("_KNOWN_UNGATED_ROUTE_MARKERS", "/csc/governance"),
    ):
        setattr(auth, known, (*getattr(auth, known), path))
    with_auth = auth.create_app
    _install(app)
    wrapped = with_auth(app)  # under uvicorn, MLflow's FastAPI app with its permission checks
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.remove(_before)
    hooks.append(_before)  # authentication and MLflow's permissions first, then the gate
    return wrapped


def create_app(app: Any = flask_app) -> Any:
    """The MLflow server app with the gate in front of alias and stage changes."""
    _install(app)
    if os.environ.get("_MLFLOW_SGI_NAME") == "uvicorn":
        from mlflow.server.fastapi_app import create_fastapi_app

        return create_fastapi_app(app)
    return app


def _install(app: Any) -> None:
    from mlflow.server.handlers import STATIC_PREFIX_ENV_VAR

    prefix = os.environ.get(STATIC_PREFIX_ENV_VAR, "").rstrip("/")
    app.before_request(_before)
    app.after_request(_after)
    app.teardown_request(_teardown)
    app.add_url_rule(f"{prefix}/csc/health", "csc_health", _health, methods=["GET"])
    app.add_url_rule(
        f"{prefix}/csc/governance", "csc_governance", _governance_page, methods=["GET"]
    )
