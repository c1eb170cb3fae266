"""The interactive Ethics Triage prompt: one question at a time, only those shown."""

from __future__ import annotations

import click

from csc_mlflow.ethics._definition import Question

__all__ = ["ask"]


def ask(question: Question, answers: object) -> object:
    """Ask ``question`` at the terminal; the answer in the form the triage file holds."""
    label = f"{question.id}: {question.text}"
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
        options = list((question.options or {}).items())
        click.echo(label)
        for number, (key, text) in enumerate(options, 1):
            click.echo(f"  {number}) {key}: {text}")
        many = question.type == "checkbox"
        while True:
            raw = click.prompt(
                "  choose " + ("any, comma-separated (Enter for none)" if many else "one"),
                default="" if many or not question.required else None,
                show_default=False,
            )
            picked = [p.strip() for p in str(raw).split(",") if p.strip()]
            chosen = []
            for p in picked:
                if p.isdigit() and 1 <= int(p) <= len(options):
                    chosen.append(options[int(p) - 1][0])
                elif p in dict(options):
                    chosen.append(p)
            if len(chosen) == len(picked) and (
                many or len(chosen) == 1 or (not picked and not question.required)
            ):
                return chosen if many else (chosen[0] if chosen else None)
            click.echo(f"  please answer with the numbers or ids shown, e.g. 1 or {options[0][0]}")
    text = click.prompt(f"{label} (Enter to skip)", default="", show_default=False)
    return str(text).strip() or None
