"""``curator schema add|list|show|infer`` and ``curator mapping init``: bring your own document type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from curator.cli.context import acting_user, workspace_from
from curator.cli.output import console, fail, print_json, print_table

schema_app = typer.Typer(help="Your target JSON Schemas: register, list, inspect, draft one from an export.",
                         no_args_is_help=True)
mapping_app = typer.Typer(help="Mappings from ERP exports to your schemas.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json")]


def register(app: typer.Typer) -> None:
    app.add_typer(schema_app, name="schema")
    app.add_typer(mapping_app, name="mapping")


@schema_app.command("add")
def schema_add(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A JSON Schema (draft 2020-12).")],
               name: Annotated[Optional[str], typer.Option("--name", help="Default: the file name before its first dot.")] = None,
               json_output: JsonOption = False) -> None:
    """Register a schema, or a new version of it; the labels of that schema follow the change."""
    from curator.schemas.registry import SchemaError, add_schema

    with workspace_from(ctx) as workspace:
        try:
            change = add_schema(workspace, file, actor=acting_user(ctx), name=name)
        except SchemaError as exc:
            raise fail(str(exc)) from None
    if json_output:
        print_json(change.to_dict())
        return
    if not change.created:
        console.print(f"schema {change.name} unchanged (version {change.version})", highlight=False)
        return
    console.print(f"schema {change.name} version {change.version} registered", highlight=False)
    if change.added or change.removed:
        console.print(f"  added (unknown on existing labels): {', '.join(change.added) or 'none'}", highlight=False)
        console.print(f"  removed (dropped from labels): {', '.join(change.removed) or 'none'}", highlight=False)
        console.print(f"  {change.labels_updated} labels updated", highlight=False)


@schema_app.command("list")
def schema_list(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Registered schemas (latest versions) and the built-in examples."""
    from curator.schemas.registry import list_schemas

    with workspace_from(ctx) as workspace:
        rows = list_schemas(workspace)
    if json_output:
        print_json(rows)
        return
    print_table("Schemas", ["name", "version", "origin", "title", "fields", "labels"],
                [(r["name"], r["version"], r["origin"], r["title"], r["fields"], r["labels"]) for r in rows])


@schema_app.command("show")
def schema_show(ctx: typer.Context, name: Annotated[str, typer.Argument()], json_output: JsonOption = False) -> None:
    """A schema's fields (paths, types, hints), or the whole document with --json."""
    from curator.labels.paths import leaf_paths, schema_at
    from curator.schemas.registry import schema_for

    with workspace_from(ctx) as workspace:
        try:
            document = schema_for(workspace, name)
        except KeyError as exc:
            raise fail(str(exc).strip("'\"")) from None
    if json_output:
        print_json(document)
        return
    rows = []
    for leaf in leaf_paths(document):
        node = schema_at(document, leaf.replace("[]", "[0]")) if not leaf.endswith("[]") else {"type": "array"}
        kind = node.get("type")
        rows.append((leaf, "/".join(kind) if isinstance(kind, list) else kind, node.get("format") or
                     ("enum: " + ", ".join(map(str, node["enum"])) if node.get("enum") else ""),
                     node.get("x-hint", "")))
    print_table(f"{name}: {document.get('title', '')}", ["field", "type", "format", "hint"], rows)


@schema_app.command("infer")
def schema_infer(source: Annotated[str, typer.Option("--source", help="KIND:LOCATION of an ERP export.")],
                 out: Annotated[Optional[Path], typer.Option("--out", help="Write the draft here (default: print it).")] = None,
                 title: Annotated[Optional[str], typer.Option("--title")] = None) -> None:
    """Draft a schema from an export's columns, for users who start with nothing."""
    from connectors.records import open_record_source
    from curator.mapping.scaffold import infer_schema

    try:
        document = infer_schema(open_record_source(source), title=title)
    except ValueError as exc:
        raise fail(str(exc)) from None
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"draft schema with {len(document['properties'])} fields -> {out}; edit it, then "
                      f"`curator schema add {out}`", highlight=False)
    else:
        typer.echo(text, nl=False)


@mapping_app.command("init")
def mapping_init(ctx: typer.Context, schema: Annotated[str, typer.Option("--schema", help="A registered schema.")],
                 source: Annotated[str, typer.Option("--source", help="KIND:LOCATION of an ERP export.")],
                 out: Annotated[Optional[Path], typer.Option("--out", help="Write the mapping here (default: print it).")] = None,
                 config: Annotated[Optional[Path], typer.Option("--config", help="The source's options (TOML).")] = None) -> None:
    """Write a mapping scaffold: columns paired with fields by name and values, the natural key
    proposed, unpaired fields left as TODOs. It runs as it is."""
    from connectors.records import load_source_config, open_record_source
    from curator.mapping.scaffold import mapping_scaffold
    from curator.schemas.registry import schema_for

    with workspace_from(ctx) as workspace:
        try:
            document = schema_for(workspace, schema)
        except KeyError as exc:
            raise fail(str(exc).strip("'\"")) from None
    try:
        scaffold = mapping_scaffold(document, schema, open_record_source(source, load_source_config(config)))
    except ValueError as exc:
        raise fail(str(exc)) from None
    if out:
        out.write_text(scaffold.text, encoding="utf-8")
        console.print(f"mapping -> {out}: {len(scaffold.paired)} fields paired, key {', '.join(scaffold.key)}; "
                      f"{len(scaffold.unpaired)} left as TODO: {', '.join(scaffold.unpaired) or 'none'}",
                      highlight=False)
    else:
        typer.echo(scaffold.text, nl=False)
