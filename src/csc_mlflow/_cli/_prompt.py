"""The interactive Ethics Triage prompt: one question at a time, only those shown.

Each question shows its section, its place among the triage's questions ("7 of 25"), its full
text and, for a choice, options numbered as the answers file writes them (``item4`` is 4).
Internal question ids are never shown.
"""

from __future__ import annotations

import re
from typing import Any

import click

from csc_mlflow.ethics._definition import Question, triage_definition

__all__ = ["ask"]

_ITEM = re.compile(r"^item(\d+)$")


def ask(question: Question, answers: object) -> object:
    """Ask ``question`` at the terminal; the answer in the form the triage file holds."""
    definition = triage_definition()
    order = [q.id for q in definition.questions]
    section = definition.sections.get(question.section, question.section)
    click.echo("")
    click.echo(
        click.style(f"{section}", bold=True)
        + f"  (question {order.index(question.id) + 1} of {len(order)})"
    )
    label = question.text
    if question.type == "bool":
        choice = click.prompt(
            f"{label} [yes/no]" + ("" if question.required else " (Enter to skip)"),
            type=click.Choice(
                ["yes", "no", "y", "n", ""] if not question.required else ["yes", "no", "y", "n"],
                case_sensitive=False,
            ),
            default="" if not question.required else None,
            show_choices=False,
            show_default=False,
        )
        return None if choice == "" else choice.lower().startswith("y")
    if question.type in ("radio", "checkbox"):
        return _choose(question, label)
    text = click.prompt(f"{label} (Enter to skip)", default="", show_default=False)
    return str(text).strip() or None


def _choose(question: Question, label: str) -> Any:
    """A radio or checkbox answer: options numbered as written (``item4`` is 4)."""
    options = dict(question.options or {})
    written = all(_ITEM.match(key) for key in options)  # itemN: shown as N, else 1, 2, 3...
    numbers = {
        key: int(_ITEM.match(key)[1]) if written else i  # type: ignore[index]
        for i, key in enumerate(options, 1)
    }
    by_number = {str(n): key for key, n in numbers.items()}
    click.echo(label)
    for key, text in sorted(options.items(), key=lambda kv: numbers[kv[0]]):
        click.echo(f"  {numbers[key]}) {text}")
    many = question.type == "checkbox"
    while True:
        raw = click.prompt(
            "  choose " + ("any, comma-separated (Enter for none)" if many else "one"),
            default="" if many or not question.required else None,
            show_default=False,
        )
        picked = [p.strip() for p in str(raw).split(",") if p.strip()]
        chosen = [by_number.get(p, p if p in options else "") for p in picked]
        if all(chosen) and (many or len(chosen) == 1 or (not picked and not question.required)):
            return chosen if many else (chosen[0] if chosen else None)
        example = min(numbers.values())
        click.echo(f"  please answer with the numbers shown, e.g. {example}")
