"""`faio officer ...`: officers and their tokens, administered at intake.

These commands use intake's officer administration: with FAIO_ADMIN_SECRET set they send it;
without it intake accepts them only from its own machine, and never in production.
"""

from typing import Annotated, Any

import typer

from services.cli.client import JsonOption, TokenOption, call
from services.cli.render import console, copyable, emit, hint, table
from shared.api_client import intake

officer_app = typer.Typer(
    help="Officers: who may use faio, their tokens and portal sign-in.", no_args_is_help=True
)

EmailOption = Annotated[str, typer.Option("--email", help="The officer's email.", show_default=False)]
UNKNOWN_OFFICER = "`faio officer list` shows every officer; `faio officer create` adds one"


def _show_token(issued: dict[str, Any], *, title: str) -> None:
    officer = issued["officer"]
    console.print(table(title, ("id", "name", "email"), [(officer["id"], officer["name"], officer["email"])]))
    copyable("officer id", officer["id"])
    copyable("token", issued["token"])
    console.print(
        f"[dim]shown once, valid until {issued['expires_at'][:10]}; use it with: "
        "export FAIO_TOKEN=<token>[/]",
        highlight=False,
    )


@officer_app.command("create")
def create_officer(
    name: Annotated[str, typer.Option(help="The officer's full name.", show_default=False)],
    email: EmailOption,
    as_json: JsonOption = False,
) -> None:
    """Create an officer and print their first token (shown only this once)."""
    issued = call(intake.create_officer(name=name, email=email))
    emit(issued, as_json=as_json, human=lambda: _show_token(issued, title="Officer created"))


@officer_app.command("token")
def new_token(
    email: EmailOption,
    revoke_previous: Annotated[
        bool, typer.Option("--revoke-previous", help="Refuse every earlier token of this officer.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """A new token for an existing officer (a lost token, a new laptop)."""
    issued = call(
        intake.officer_token(email=email, revoke_previous=revoke_previous), not_found_hint=UNKNOWN_OFFICER
    )
    title = "New token; every earlier one is revoked" if revoke_previous else "New token"
    emit(issued, as_json=as_json, human=lambda: _show_token(issued, title=title))


@officer_app.command("revoke")
def revoke_tokens(email: EmailOption, as_json: JsonOption = False) -> None:
    """Revoke every token the officer has (they need `faio officer token` afterwards)."""
    revoked = call(intake.revoke_officer_tokens(email=email), not_found_hint=UNKNOWN_OFFICER)

    def human() -> None:
        console.print(f"[green]revoked[/] every token of {revoked['officer']['email']}")
        hint(f"faio officer token --email {revoked['officer']['email']}")

    emit(revoked, as_json=as_json, human=human)


@officer_app.command("login")
def portal_sign_in(email: EmailOption, as_json: JsonOption = False) -> None:
    """Print a one-time portal sign-in URL (valid 15 minutes)."""
    link = call(intake.sign_in_link(email=email), not_found_hint=UNKNOWN_OFFICER)

    def human() -> None:
        copyable("sign-in url", link["url"])
        console.print(f"[dim]open it once before {link['expires_at'][11:16]} UTC[/]", highlight=False)

    emit(link, as_json=as_json, human=human)


@officer_app.command("list")
def list_officers(as_json: JsonOption = False) -> None:
    """Every officer (never their tokens)."""
    officers = call(intake.officers())
    rows = [(o["id"], o["name"], o["email"], o["created_at"][:10], o["token_version"]) for o in officers]
    emit(
        officers,
        as_json=as_json,
        human=lambda: console.print(
            table(f"{len(officers)} officer(s)", ("id", "name", "email", "created", "token version"), rows)
        ),
    )


@officer_app.command("time-zone")
def set_time_zone(
    time_zone: Annotated[
        str, typer.Argument(help="IANA time zone, e.g. America/New_York.", show_default=False)
    ],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Set your own time zone: the zone a new clinic gets unless you give it one."""
    me = call(intake.update_me(time_zone=time_zone), token=token)
    emit(
        me,
        as_json=as_json,
        human=lambda: console.print(f"New clinics get {me['time_zone']}.", highlight=False),
    )


@officer_app.command("whoami")
def who_am_i(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The officer your token belongs to."""
    me = call(intake.me(), token=token)
    emit(me, as_json=as_json, human=lambda: console.print(f"{me['name']} ({me['id']})", highlight=False))
