"""CLI for the model stage: generate the training set, train, evaluate, show the card."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cli.options import handle_errors

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), default=None,
    help="Training-set folder (default: data/training of the project).",
)
models_dir_option = click.option(
    "--models-dir", type=click.Path(file_okay=False), default=None,
    help="Model folder (default: models/ of the project, or MQTRIAGE_MODELS_DIR).",
)


def _data_dir(value: str | None) -> Path:
    from pipeline.model.generate import DEFAULT_DATA_DIR

    return Path(value) if value else DEFAULT_DATA_DIR


@click.group("model")
def model_group() -> None:
    """The fallback classifier: training set, training, evaluation, model card."""


@model_group.command("generate")
@data_dir_option
@handle_errors
def generate_command(data_dir: str | None) -> None:
    """Write the deterministic training set (training.csv and PROVENANCE.md)."""
    from pipeline.model.generate import write_training_set

    path, sha, frame, source = write_training_set(_data_dir(data_dir))
    click.echo(f"wrote {path} ({len(frame)} rows, sha256 {sha})")
    click.echo(f"templates {source.templates}, translations {source.translations}, hand cases {source.cases}; {source.rules_note}")


@model_group.command("train")
@data_dir_option
@models_dir_option
@click.option("--no-regenerate", is_flag=True, help="Train on the training set as it is; do not rewrite it first.")
@handle_errors
def train_command(data_dir: str | None, models_dir: str | None, no_regenerate: bool) -> None:
    """Regenerate the training set, cross-validate, train, and write the artifact and its card."""
    from pipeline.model.run import summary_lines, train_and_save

    result = train_and_save(_data_dir(data_dir), models_dir, regenerate=not no_regenerate)
    card = result.card
    click.echo(f"training set {result.training_file} sha256 {card['training_data']['sha256']} ({card['training_data']['rows']} rows)")
    for line in summary_lines(card["metrics"], card["threshold"]):
        click.echo(line)
    click.echo(f"wrote {result.artifact} ({card['artifact_bytes']} bytes, sha256 {card['artifact_sha256']}) and {result.card_path}")


@model_group.command("evaluate")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@handle_errors
def evaluate_command(data_dir: str | None, as_json: bool) -> None:
    """Reprint the metrics from a fresh grouped cross-validation of the committed training set."""
    from pipeline.model.run import evaluate_set, summary_lines

    result = evaluate_set(_data_dir(data_dir))
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"training set sha256 {result['training_data_sha256']} ({result['rows']} rows)")
    for line in summary_lines(result["metrics"], result["threshold"]):
        click.echo(line)


@model_group.command("info")
@models_dir_option
@handle_errors
def info_command(models_dir: str | None) -> None:
    """Load the model (checksum and trusted types checked) and print its card."""
    from pipeline.model.fallback import load_fallback

    model = load_fallback(models_dir)
    if not model.available:
        raise click.ClickException(model.reason)
    click.echo(json.dumps(model.card, indent=2))


COMMANDS: list[click.Command] = [model_group]
