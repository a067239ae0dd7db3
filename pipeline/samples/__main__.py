"""``python -m pipeline.samples [--out data/samples]``: regenerate the sample scenario."""

from __future__ import annotations

import click

from pipeline.errors import MQTriageError
from pipeline.samples.generate import generate


@click.command()
@click.option(
    "--out",
    default="data/samples",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder to write the samples to (its config/ subfolder is left alone).",
)
def main(out: str) -> None:
    """Write the sample scenario of docs/samples.md: logs, exports and EXPECTED.md."""
    try:
        files = generate(out)
    except MQTriageError as exc:
        raise click.ClickException(str(exc)) from exc
    total = sum(len(f.data) for f in files)
    for f in files:
        click.echo(f"{len(f.data):>9}  {f.path}")
    click.echo(f"{total:>9}  bytes in {len(files)} files under {out}")


if __name__ == "__main__":
    main()
