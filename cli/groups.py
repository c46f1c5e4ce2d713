"""`charter groups [GROUP]`: consumer groups of the built-in broker and their lag per partition;
`charter groups delete GROUP` removes a group without members, with its committed offsets.

Per group and partition: the committed offset (the next one the group will read), the log end,
the lag between them and the member that owns the partition in the current generation. The
JSON form is always a list of groups, one element when GROUP is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.topic import AdminBrokerOption, AdminFormatOption, check_admin_format, print_json

if TYPE_CHECKING:
    from broker.client import BrokerClient

__all__ = ["groups"]


def group_lag(client: BrokerClient, group: str) -> dict[str, Any]:
    """One group as `charter groups --format json` shows it."""
    description = client.groups.describe(group)
    owners = {tp: m.member_id for m in description.members for tp in m.partitions}
    partitions = [
        {
            "topic": row.topic,
            "partition": row.partition,
            "committed": row.committed,
            "log_end_offset": row.log_end_offset,
            "lag": row.lag,
            "member": owners.get((row.topic, row.partition)),
        }
        for row in client.lag(group)
    ]
    return {
        "group": group,
        "generation": description.generation,
        "assignor": description.assignor,
        "members": [m.member_id for m in description.members],
        "lag": sum(p["lag"] for p in partitions),
        "partitions": partitions,
    }


def _table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    table.add_column("group", overflow="fold")
    table.add_column("topic", overflow="fold")
    for column in ("partition", "committed", "log end", "lag"):
        table.add_column(column, justify="right")
    table.add_column("member", overflow="fold")
    for g in rows:
        if not g["partitions"]:
            table.add_row(g["group"], "-", "-", "-", "-", "-", "-")
        for p in g["partitions"]:
            table.add_row(
                g["group"],
                p["topic"],
                str(p["partition"]),
                "-" if p["committed"] is None else str(p["committed"]),
                str(p["log_end_offset"]),
                str(p["lag"]),
                p["member"] or "-",
            )
    return table


def groups(
    group: Annotated[
        str | None,
        typer.Argument(help="One group (or `delete`); default: every group the broker knows."),
    ] = None,
    to_delete: Annotated[
        str | None, typer.Argument(metavar="[GROUP]", help="With `delete`: the group to remove.")
    ] = None,
    fmt: AdminFormatOption = "table",
    broker: AdminBrokerOption = None,
) -> None:
    """Show consumer groups' lag per topic and partition; exits 1 for an unknown GROUP.

    `charter groups delete GROUP` removes a group that has no members (exits 1 when it does
    not exist or still has members)."""
    from broker.errors import BrokerError
    from cli.topic import admin_session

    check_admin_format(fmt)
    if to_delete is not None:
        if group != "delete":
            raise typer.BadParameter(f"unexpected argument {to_delete!r}", param_hint="GROUP")
        with admin_session("groups delete", broker) as client:
            client.groups.delete(to_delete)
        if fmt == "json":
            print_json({"deleted": to_delete})
        else:
            typer.echo(f"deleted group {to_delete}")
        return
    with admin_session("groups", broker) as client:
        names = client.groups.list_groups()
        if group is not None:
            if group not in names:
                raise BrokerError(f"consumer group {group!r} does not exist")
            names = [group]
        rows = [group_lag(client, name) for name in names]
    if fmt == "json":
        print_json(rows)
    elif not rows:
        typer.echo("no consumer groups")
    else:
        from rich.console import Console

        Console().print(_table(rows))
