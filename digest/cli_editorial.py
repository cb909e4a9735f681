"""The editor's commands (docs/editor.md): ``exclude``, ``pin``, ``note``, ``controls``, the body of
``email --resolve-in-flight``; and ``new-source``
(docs/house.md), the command that adds a source to the catalogue with its test."""

from __future__ import annotations

from pathlib import Path

import click

from calls.regions import configured_regions
from digest import editorial, job
from digest.cli_context import Context, pass_ctx, table
from digest.i18n import UnknownLanguage, language_tag


def _control_region(ctx: Context, region: str) -> str:
    regions = configured_regions(ctx.config)
    if region != editorial.ALL_REGIONS and region not in regions:
        raise click.BadParameter(f"unknown region {region!r}; known: {', '.join(sorted(regions))} or '*'",
                                 param_hint="--region")
    return region


def _edit(ctx: Context, action: str, call: str, region: str, remove: bool, **fields) -> None:
    """Add (or with ``remove`` drop) one control and say what it now designates."""
    region = _control_region(ctx, region)
    where = "every region" if region == editorial.ALL_REGIONS else region
    if remove:
        n = editorial.remove_control(ctx.store, action, call, region, lang=fields.get("lang"))
        click.echo(f"{n} {action} control(s) on {call} for {where} removed")
        if n == 0:
            raise SystemExit(1)
        return
    try:
        control_id = editorial.add_control(ctx.store, action, call, region, **fields)
    except editorial.ControlError as exc:
        raise click.ClickException(str(exc)) from None
    resolved = editorial.controls(ctx.store).resolve(call)
    click.echo(f"#{control_id} {action} {call} for {where}"
               + (f" (now the call {resolved})" if resolved and resolved != call else ""))
    if resolved is None:
        click.echo(f"note: no stored call matches {call!r} yet; the control applies once one does", err=True)


@click.command()
@click.argument("call")
@click.option("--region", default="*", show_default=True, help="Region id, or '*' for every region.")
@click.option("--by", "by", envvar="USER", help="Who decides (default: $USER).")
@click.option("--remove", is_flag=True, help="Lift the exclusion instead.")
@pass_ctx
def exclude(ctx: Context, call: str, region: str, by: str | None, remove: bool) -> None:
    """Keep CALL out of --region's digest email, site pages and feeds (kept across re-crawls).

    CALL is the call's uid (as on the site and in exports), a source page's uid, or the official call id.
    """
    _edit(ctx, "exclude", call, region, remove, **({} if remove else {"by": by}))


@click.command()
@click.argument("call")
@click.option("--region", default="*", show_default=True, help="Region id, or '*' for every region.")
@click.option("--by", "by", envvar="USER", help="Who decides (default: $USER).")
@click.option("--remove", is_flag=True, help="Unpin instead.")
@pass_ctx
def pin(ctx: Context, call: str, region: str, by: str | None, remove: bool) -> None:
    """Put CALL at the top of --region's digest, even when its score is low (kept across re-crawls).

    CALL is the call's uid (as on the site and in exports), a source page's uid, or the official call id.
    """
    _edit(ctx, "pin", call, region, remove, **({} if remove else {"by": by}))


@click.command()
@click.argument("call")
@click.argument("text", required=False)
@click.option("--lang",
              help="Language the note is written in: uk, sr-Latn, sr-Cyrl or en (readers of that language see it).")
@click.option("--region", default="*", show_default=True, help="Region id, or '*' for every region.")
@click.option("--by", "by", envvar="USER", help="Who writes (default: $USER).")
@click.option("--remove", is_flag=True, help="Remove the notes on CALL for --region (of --lang only, when given).")
@pass_ctx
def note(ctx: Context, call: str, text: str | None, lang: str | None, region: str, by: str | None,
         remove: bool) -> None:
    """Add the editor's note TEXT to CALL, shown with it in the digest email and on the site.

    CALL is the call's uid (as on the site and in exports), a source page's uid, or the official call id.
    """
    if remove:
        _edit(ctx, "note", call, region, True, lang=lang)
        return
    profile = configured_regions(ctx.config).get(region)
    try:
        tag = language_tag(lang) if lang else None
    except UnknownLanguage as exc:
        raise click.BadParameter(str(exc), param_hint="--lang") from None
    if profile is not None and tag is not None and tag not in profile.digest_languages:
        raise click.BadParameter(
            f"{region}'s digest is written in {', '.join(profile.digest_languages)}; a note in {tag} would reach "
            f"no reader there", param_hint="--lang")
    _edit(ctx, "note", call, region, False, text=text, lang=lang, by=by)


@click.command()
@click.option("--remove", "remove_ids", type=int, multiple=True, metavar="ID",
              help="Remove the control with this id (repeatable).")
@pass_ctx
def controls(ctx: Context, remove_ids: tuple[int, ...]) -> None:
    """List the editor controls (exclude, pin, note), or remove some by id."""
    if remove_ids:
        missing = [i for i in remove_ids if not editorial.delete_control(ctx.store, i)]
        click.echo(f"{len(remove_ids) - len(missing)} control(s) removed")
        if missing:
            raise click.ClickException(f"no control with id {', '.join(map(str, missing))}")
        return
    found = editorial.controls(ctx.store)
    table(("id", "action", "call", "region", "lang", "by", "at (UTC)", "now the call", "note"),
           [(str(c.id), c.action, c.target, c.region, c.lang or "", c.by or "", c.at.strftime("%Y-%m-%d %H:%M"),
             found.resolve(c.target) or "(none yet)", job.one_line(c.text or "")[:60]) for c in found.items])


@click.command(name="new-source")
@click.argument("slug")
@click.option("--spider", type=click.Choice(("feed", "wordpress", "listing", "code")), required=True,
              help="A generic spider configured in the catalogue, or code of its own.")
@click.option("--url", required=True, help="The feed, the WordPress site or the list page.")
@click.option("--title", help="The source's name (default: SLUG).")
@click.option("--language", default="en", show_default=True, help="Language of the source's pages (BCP 47).")
@click.option("--timezone", default="Europe/Brussels", show_default=True, help="IANA zone of its dates.")
@click.option("--root", type=click.Path(file_okay=False), help="The checkout to write into (default: this one).")
@pass_ctx
def new_source(ctx: Context, slug: str, spider: str, url: str, title: str | None, language: str, timezone: str,
               root: str | None) -> None:
    """Add a source with its test: the catalogue entry, the fixture folder (and for code the spider module)."""
    from digest import new_source as making

    try:
        written = making.new_source(slug, spider, url, title=title, language=language, timezone=timezone,
                                    root=Path(root) if root else making.ROOT, known=frozenset(ctx.config.sources))
    except making.NewSourceError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written.paths:
        click.echo(f"wrote {path}")
    click.echo(f"its test, tests/test_fixtures.py::test_the_fixture_replays_as_expected[{slug}], fails until "
               f"tests/fixtures/{slug}/mirror and expected.json are filled")


def resolve_in_flight(ctx: Context, resolution: str, week: str | None, regions: tuple[str, ...]) -> None:
    """``grantdigest email --resolve-in-flight sent|resend``: the editor's word on the messages an interrupted
    ``--send`` left in flight (docs/email.md); says which were settled."""
    from digest.send import resolve_in_flight as settle

    rows = settle(ctx.store, resolution, week=week, regions=regions)
    for row in rows:
        click.echo(f"{row.digest} → {row.recipient} ({row.message_id}): "
                   + ("marked sent" if resolution == "sent" else "will be sent again by the next --send"))
    click.echo(f"{len(rows)} in-flight message(s) settled")


COMMANDS = (exclude, pin, note, controls)
