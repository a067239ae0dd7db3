"""Model and rule files are data, never code: tampering is detected, code is never run.

The model is loaded only through ``pipeline.model.fallback.load_fallback``; rule folders only
through ``--rules`` (the rules loader).  Every malicious file carries a payload that would create
a marker file if it ever ran; the marker must never appear.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest

from pipeline.errors import ModelError
from pipeline.model.artifact import ARTIFACT, CARD, sha256
from pipeline.model.fallback import load_fallback
from pipeline.reliability.corpus import BASE, tls_failure_entry, write_hostile_corpus

from .helpers import REPO, invoke

MODELS = REPO / "models"


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    if not (MODELS / ARTIFACT).is_file() or not (MODELS / CARD).is_file():
        pytest.skip("no trained model in models/ (run `make train`)")
    target = tmp_path / "models"
    shutil.copytree(MODELS, target)
    return target


def _reseal(models_dir: Path, payload: bytes) -> None:
    """Replace the artifact AND fix the card's checksum, as an attacker with write access would."""
    (models_dir / ARTIFACT).write_bytes(payload)
    card = json.loads((models_dir / CARD).read_text(encoding="utf-8"))
    card["artifact_sha256"] = sha256(payload)
    card["artifact_bytes"] = len(payload)
    (models_dir / CARD).write_text(json.dumps(card), encoding="utf-8")


class _Boom:
    """Unpickling this would run ``touch``: the proof that a loader executed code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_flipped_byte_is_caught_by_the_card_checksum(model_copy: Path) -> None:
    payload = bytearray((model_copy / ARTIFACT).read_bytes())
    payload[len(payload) // 2] ^= 0x01
    (model_copy / ARTIFACT).write_bytes(bytes(payload))
    with pytest.raises(ModelError, match="checksum .* does not match"):
        load_fallback(model_copy)


def test_a_pickle_with_a_valid_checksum_is_refused_and_never_run(model_copy: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned-by-pickle"
    _reseal(model_copy, pickle.dumps(_Boom(marker)))
    with pytest.raises(ModelError, match=str(model_copy / ARTIFACT)):
        load_fallback(model_copy)
    assert not marker.exists()


def test_a_skops_file_with_untrusted_types_is_refused_and_never_run(model_copy: Path, tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    marker = tmp_path / "pwned-by-skops"
    evil = FunctionTransformer(func=os.system, kw_args={"command": f"touch {marker}"})
    _reseal(model_copy, sio.dumps(evil))
    with pytest.raises(ModelError, match="outside the trusted list"):
        load_fallback(model_copy)
    assert not marker.exists()


@pytest.mark.parametrize("card_text", ["not json {", "[]", json.dumps({"threshold": 0.5})])
def test_a_broken_card_is_a_clear_model_error(model_copy: Path, card_text: str) -> None:
    (model_copy / CARD).write_text(card_text, encoding="utf-8")
    with pytest.raises(ModelError, match=CARD):
        load_fallback(model_copy)


def test_classify_cli_refuses_a_tampered_model_with_a_clear_message(model_copy: Path, tmp_path: Path) -> None:
    logs, out = tmp_path / "logs", tmp_path / "out"
    write_hostile_corpus(logs, attempts=1)
    # an entry no rule decides, so classify has to consult the model
    odd = logs / "qmodd" / "errors"
    odd.mkdir(parents=True)
    (odd / "AMQERR01.LOG").write_text(
        tls_failure_entry(BASE, "QMODD", "ODD.CH", "CN=odd").replace("AMQ9636E: SSL distinguished name does not match "
                                                                     "peer name", "AMQ9876E: Something unusual happened"),
        encoding="utf-8")
    assert invoke("run", str(logs), "--out", str(out), "--no-model", "-q").exit_code == 0
    (model_copy / ARTIFACT).write_bytes((model_copy / ARTIFACT).read_bytes() + b"\0")
    from click.testing import CliRunner

    from pipeline.cli import main

    result = CliRunner().invoke(main, ["classify", str(out)], env={"MQTRIAGE_MODELS_DIR": str(model_copy)})
    assert result.exit_code == 1
    assert "checksum" in result.output and "Traceback" not in result.output


# --- rule files ------------------------------------------------------------------------------
YAML_PAYLOADS = {
    "python_object_apply": "!!python/object/apply:os.system [\"touch {marker}\"]\n",
    "python_object_new": "kind: signal\nrules: !!python/object/new:os.system [\"touch {marker}\"]\n",
    "python_name": "kind: !!python/name:os.system\nrules: []\n",
}


@pytest.mark.parametrize("name", sorted(YAML_PAYLOADS))
def test_a_python_tag_in_a_user_rules_folder_is_refused_not_executed(name: str, tmp_path: Path) -> None:
    marker = tmp_path / f"pwned-{name}"
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "evil.yaml").write_text(YAML_PAYLOADS[name].format(marker=marker), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    for command in (["classify", str(out), "--rules", str(rules)], ["rules", "check", str(rules), "--no-examples"]):
        result = invoke(*command)
        assert result.exit_code != 0, (command, result.output)
        assert "evil.yaml" in result.output, result.output
        assert "Traceback" not in result.output
    assert not marker.exists()
