"""The model commands: exit codes and messages."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main


def test_generate_writes_the_set(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["model", "generate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "training.csv" in result.output and (tmp_path / "training.csv").is_file()


def test_info_without_a_model_fails_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["model", "info", "--models-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "no model artifact" in result.output and "Traceback" not in result.output


def test_evaluate_without_a_training_set_fails_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["model", "evaluate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "training.csv: cannot read the training set" in result.output
