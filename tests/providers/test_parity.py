"""Never call "valid" what the provider rejects; ask the model as it was trained (issue #20)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "security"))

from curator.cli import app  # noqa: E402
from curator.curate.export import export_dataset  # noqa: E402
from curator.curate.validate import validate_export  # noqa: E402
from curator.store.models import Label  # noqa: E402
from exports import get_writer  # noqa: E402
from exports.base import Destination, Sample  # noqa: E402
from fake_chat import FakeChat  # noqa: E402
from helpers import exportable_workspace  # noqa: E402


@pytest.fixture
def ws(tmp_path):
    workspace = exportable_workspace(tmp_path / "ws", n=40)
    yield workspace
    workspace.close()


def _say_in_a_label(ws, text: str) -> str:
    with ws.session() as session:
        label = session.exec(select(Label).where(Label.status == "auto_accepted")).first()
        fields = json.loads(label.fields)
        fields["seller_name"]["value"] = text
        label.fields = json.dumps(fields)
        session.add(label)
        session.commit()
        return label.document_sha256


@pytest.mark.parametrize("text", ["User: see attached statement", "Assistant: see box 14", "a <image> tag",
                                  "[EOS] end", "THOUGHT: maybe"])
def test_a_reserved_word_in_an_answer_is_never_called_valid(ws, tmp_path, text):
    _say_in_a_label(ws, text)
    result = export_dataset(ws, actor="admin", fmt="bedrock-nova", schema_name="invoice", dest=str(tmp_path / "nova"),
                            s3_prefix="s3://datasets/nova")
    errors = [e for e in result.validation["errors"] if "reserved" in e]
    assert errors and "seller_name" in errors[0] and ".pdf" in errors[0] and "--reserved neutralise" in errors[0]
    # The documented remedy: neutralised at export, the file is valid and the words are kept.
    fixed = export_dataset(ws, actor="admin", fmt="bedrock-nova", schema_name="invoice", dest=str(tmp_path / "fixed"),
                           s3_prefix="s3://datasets/nova", reserved="neutralise")
    assert not [e for e in fixed.validation["errors"] if "reserved" in e]
    manifest = json.loads((tmp_path / "fixed" / "manifest.json").read_text())
    assert manifest["settings"]["reserved"] == "neutralise"


def _samples(n_train: int, n_validation: int, tmp_path: Path) -> list[Sample]:
    page = tmp_path / "page.png"
    Image.new("L", (200, 260), 255).save(page)
    answer = json.dumps({"total": 1.0})
    return ([Sample(f"{i:064x}", "train", (page,), answer) for i in range(n_train)]
            + [Sample(f"{i + 100:064x}", "validation", (page,), answer) for i in range(n_validation)])


def test_minimums_count_the_training_set_only(tmp_path):
    schema = {"type": "object", "properties": {"total": {"type": "number"}}}
    folder = tmp_path / "nova"
    get_writer("bedrock-nova", schema=schema).write(_samples(7, 2, tmp_path), Destination(folder, "s3://datasets/x"))
    report = validate_export(folder, "bedrock-nova", schema=schema)
    assert any("7 training records; bedrock-nova needs at least 8 in the training set" in e for e in report.errors)
    assert any("--fold-validation" in e for e in report.errors)  # advice the user can follow
    nova2 = validate_export(folder, "bedrock-nova2", schema=schema)
    assert any("takes no validation set" in e and "--fold-validation" in e for e in nova2.errors)
    assert any("needs at least 200" in e for e in nova2.errors)
    ok = tmp_path / "ok"
    get_writer("bedrock-nova", schema=schema).write(_samples(8, 0, tmp_path), Destination(ok, "s3://datasets/x"))
    assert not [e for e in validate_export(ok, "bedrock-nova", schema=schema).errors if "training" in e]


def test_fold_validation_puts_the_validation_documents_into_train(ws, tmp_path):
    result = export_dataset(ws, actor="admin", fmt="bedrock-nova", schema_name="invoice", dest=str(tmp_path / "n2"),
                            s3_prefix="s3://datasets/n2", fold_validation=True)
    assert "validation" not in result.counts and not (tmp_path / "n2" / "validation.jsonl").exists()
    plain = export_dataset(ws, actor="admin", fmt="bedrock-nova", schema_name="invoice", dest=str(tmp_path / "n1"),
                           s3_prefix="s3://datasets/n1")
    assert result.counts["train"] == plain.counts["train"] + plain.counts.get("validation", 0)


def test_a_swift_line_with_more_tags_than_images_fails(tmp_path):
    folder = tmp_path / "swift"
    schema = {"type": "object", "properties": {"total": {"type": "number"}}}
    get_writer("swift", schema=schema).write(_samples(3, 0, tmp_path), Destination(folder))
    lines = (folder / "train.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    record["messages"][1]["content"] = "<image>" + record["messages"][1]["content"]  # 2 tags, 1 image
    (folder / "train.jsonl").write_text("\n".join([json.dumps(record)] + lines[1:]) + "\n")
    report = validate_export(folder, "swift", schema=schema)
    assert any("2 <image> tags for 1 images" in e for e in report.errors) and not report.ok


def test_the_model_is_asked_with_the_prompts_it_was_trained_with(ws, tmp_path):
    exported = export_dataset(ws, actor="admin", fmt="swift", schema_name="invoice", dest=str(tmp_path / "sw"),
                              template="Return the JSON for: {keys}")
    settings = json.loads((Path(exported.folder) / "manifest.json").read_text())["settings"]
    assert settings["user_prompt"].startswith("Return the JSON for: ") and "JSON object" in settings["system_prompt"]
    chat = FakeChat(json.dumps({"total": 1.0}))
    try:
        pdf = tmp_path / "new.pdf"
        import badfiles

        badfiles.good_pdf(pdf, "Invoice INV-9 total 1.00")
        out = CliRunner().invoke(app, ["-w", str(ws.root), "predict", str(pdf), "--model", f"openai:{chat.url}#tuned",
                                       "--schema", "invoice", "--export", exported.folder, "--json-schema"])
        assert out.exit_code == 0, out.output
        assert json.loads(out.stdout) == {"file": "new.pdf", "prediction": {"total": 1.0}}
        body = chat.bodies[-1]
        assert body["messages"][0]["content"] == settings["system_prompt"]
        assert body["messages"][1]["content"][-1]["text"] == settings["user_prompt"]
        assert body["response_format"]["json_schema"]["schema"]["type"] == "object"
    finally:
        chat.close()
