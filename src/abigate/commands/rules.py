"""``abigate rules [CODE]``: list the rule catalogue, or explain one rule (by code or slug)."""

from __future__ import annotations

import click

from abigate.errors import UsageError

__all__ = ["rules"]


@click.command()
@click.argument("code", required=False, metavar="[CODE]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="markdown prints the documentation page (docs/rules.md) for all rules or one.",
)
def rules(code: str | None, fmt: str) -> None:
    """List every rule (code, slug, default severity, family, title), or explain CODE in full.

    CODE is a rule code (ABG201) or slug (missing-symbol-version). An unknown code is a usage error (exit 2).

    \b
    Examples:
      abigate rules
      abigate rules ABG201
      abigate rules missing-symbol-version
      abigate rules --format markdown > rules.md
    """
    from abigate.rules import RULES, UnknownRuleError, by_code
    from abigate.rules.docs import catalogue_markdown, catalogue_table, rule_text

    if code is None:
        click.echo(catalogue_markdown() if fmt == "markdown" else catalogue_table(), nl=False)
        return
    try:
        rule = by_code(code)
    except UnknownRuleError as exc:
        raise UsageError(str(exc)) from None
    if fmt == "markdown":
        click.echo(catalogue_markdown([r for r in RULES if r is rule]), nl=False)
    else:
        click.echo(rule_text(rule), nl=False)
