"""``curator users`` and ``curator review`` (the Streamlit app on this workspace)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from curator.cli.context import acting_user, workspace_from
from curator.cli.output import console, fail, print_json, print_table
from curator.access import ROLES

users_app = typer.Typer(help="People who log in to the review UI, and their roles.", no_args_is_help=True)
queue_app = typer.Typer(help="The review queue as an admin sees it: bulk approval, who holds which documents.",
                        no_args_is_help=True)
APP_FILE = Path(__file__).resolve().parents[2] / "app" / "review_app.py"


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(queue_app, name="queue")
    app.command("review")(review_command)


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Option("--role", help=" | ".join(ROLES))] = "reviewer",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")] = False,
) -> None:
    """Add a user (or change a user's role and password); admins only. The password is asked
    (hidden), read with --password-stdin, or taken from $CURATOR_PASSWORD, never from the
    command line where `ps` would show it; it is stored as an argon2 hash."""
    from curator.review.users import add_user
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = os.environ.get("CURATOR_PASSWORD") or typer.prompt(
            f"password for {name}", hide_input=True, confirmation_prompt=True)
    with workspace_from(ctx) as workspace:
        try:
            actor = add_user(workspace, name, role, password, by=acting_user(ctx))
        except ValueError as exc:
            raise fail(str(exc)) from None
    console.print(f"user [bold]{actor.name}[/] ({actor.role}) ready")


@users_app.command("list")
def users_list(ctx: typer.Context, json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    from curator.review.users import list_users
    with workspace_from(ctx) as workspace:
        users = list_users(workspace)
    if json_output:
        print_json(users)
    else:
        print_table("Users", ["name", "role", "active", "created"],
                    [(u["name"], u["role"], "yes" if u["active"] else "no", u["created_at"][:16]) for u in users])


@users_app.command("disable")
def users_disable(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    from curator.review.users import disable_user
    with workspace_from(ctx) as workspace:
        try:
            disable_user(workspace, name, by=acting_user(ctx))
        except ValueError as exc:
            raise fail(str(exc)) from None
    console.print(f"user {name} can no longer log in")


def review_command(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port")] = 8501,
    address: Annotated[str, typer.Option("--address", help="127.0.0.1 keeps it on this machine; 0.0.0.0 shares it.")] = "127.0.0.1",
) -> None:
    """Start the review UI (Streamlit) on this workspace."""
    from curator.review.users import list_users
    with workspace_from(ctx) as workspace:
        root = workspace.root
        if not list_users(workspace):
            console.print("[yellow]no users yet[/]: add one with `curator users add NAME --role reviewer`")
    console.print(f"review UI for {root}: http://{address if address != '0.0.0.0' else 'localhost'}:{port}")
    command = [sys.executable, "-m", "streamlit", "run", str(APP_FILE), "--server.port", str(port),
               "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--client.toolbarMode", "viewer",
               "--", "--workspace", str(root)]
    raise typer.Exit(subprocess.call(command))


@queue_app.command("approve-agreeing")
def queue_approve_agreeing(
    ctx: typer.Context,
    schema: Annotated[str | None, typer.Option("--schema", help="Only labels of this schema.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be approved; change nothing.")] = False,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Approve every label (needs review or auto-accepted) on which the ERP and the teacher agree
    on every field, nothing in conflict, suspect or unknown; admins only. Documents a reviewer
    holds are left alone."""
    from curator.access import PermissionDenied
    from curator.progress import rich_progress
    from curator.review.bulk import approve_agreeing
    with workspace_from(ctx) as workspace:
        try:
            with rich_progress(not json_output) as progress:
                report = approve_agreeing(workspace, acting_user(ctx), schema_name=schema, dry_run=dry_run,
                                          progress=progress)
        except PermissionDenied as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(report.to_dict())
        return
    verb = "would approve" if dry_run else "approved"
    console.print(f"{verb} [bold]{report.approved}[/] of {report.looked_at} labels; "
                  f"{report.held_by_reviewer} held by a reviewer, {report.changed_meanwhile} changed meanwhile")
    for reason, count in sorted(report.not_qualified.items(), key=lambda item: -item[1]):
        console.print(f"  not approved ({reason}): {count}", markup=False)


@queue_app.command("leases")
def queue_leases(ctx: typer.Context, json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Who holds documents right now, and how many; admins only."""
    from curator.access import PermissionDenied
    from curator.review.bulk import lease_holders
    with workspace_from(ctx) as workspace:
        try:
            holders = lease_holders(workspace, acting_user(ctx))
        except PermissionDenied as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(holders)
    else:
        print_table("Documents held", ["reviewer", "documents"], holders.items())


@queue_app.command("reassign")
def queue_reassign(
    ctx: typer.Context,
    from_user: Annotated[str, typer.Argument(help="The reviewer whose documents move.")],
    to_user: Annotated[str | None, typer.Option("--to", help="Who gets them; without it they go back to the queue.")] = None,
) -> None:
    """Hand the documents one reviewer holds to another (or back to the queue); admins only."""
    from curator.access import PermissionDenied
    from curator.review.bulk import reassign_leases
    with workspace_from(ctx) as workspace:
        try:
            moved = reassign_leases(workspace, acting_user(ctx), from_user, to_user)
        except PermissionDenied as exc:
            raise fail(str(exc)) from None
    where = f"to {to_user}" if to_user else "back to the queue"
    console.print(f"{moved} documents of {from_user} moved {where}", markup=False)
