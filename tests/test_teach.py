"""Teacher pre-annotation: Bedrock Converse through botocore's Stubber (every request checked
against the real API model) and an OpenAI-compatible endpoint served by the test."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from fake_chat import FakeChat
from sqlmodel import select
from typer.testing import CliRunner

from connectors.documents import FolderSource
from curator.catalog import quarantined
from curator.cli import app
from curator.pipeline import bootstrap
from curator.mapping.rules import load_mapping
from curator.labels.paths import build_target
from curator.ingest.documents import ingest_documents
from curator.labels.paths import leaf_paths
from curator.schemas import builtin_schema
from curator.store.models import Label, TeacherCall
from curator.config import TriageConfig
from curator.curate.triage import judge, triage
from curator.teach.annotate import annotate
from curator.teach.base import Price
from curator.teach.bedrock import BedrockConverseTeacher
from curator.teach.openai_compat import OpenAICompatibleTeacher
from curator.workspace import init_workspace

MODEL = "us.amazon.nova-premier-v1:0"
GAP_ANSWER = {"discount": None, "due_date": "2019-04-30",
              "line_items": [{"description": "Cable ties 300mm", "quantity": 6.0, "unit_price": 5.99, "amount": 35.94}]}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, small_corpora) -> Path:
    root = tmp_path_factory.mktemp("teach") / "ws"
    ws = init_workspace(root)
    ws.config.ingest.workers = 1
    ingest_documents(ws, FolderSource(small_corpora["invoices"] / "documents"), document_class="invoice", actor="admin")
    bootstrap(ws, load_mapping("invoice-sap"), erp_dir=small_corpora["invoices"] / "erp", actor="admin")
    ws.close()
    return root


def _labels(ws) -> list[Label]:
    with ws.session() as session:
        return list(session.exec(select(Label).order_by(Label.document_sha256)))


def _converse_response(values: dict, input_tokens: int = 1895, output_tokens: int = 411) -> dict:
    return {"output": {"message": {"role": "assistant", "content": [
                {"toolUse": {"toolUseId": "tooluse_1", "name": "emit_fields", "input": values}}]}},
            "stopReason": "tool_use",
            "usage": {"inputTokens": input_tokens, "outputTokens": output_tokens,
                      "totalTokens": input_tokens + output_tokens},
            "metrics": {"latencyMs": 900}}


def _text_response(text: str) -> dict:
    return {"output": {"message": {"role": "assistant", "content": [{"text": text}]}}, "stopReason": "end_turn",
            "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15}, "metrics": {"latencyMs": 10}}


def _stubbed(script: list) -> tuple[BedrockConverseTeacher, Stubber]:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    stubber = Stubber(client)
    for step in script:
        if isinstance(step, tuple):
            code, status = step
            stubber.add_client_error("converse", service_error_code=code, service_message=f"{code} for the test",
                                     http_status_code=status)
        else:
            stubber.add_response("converse", step)
    stubber.activate()
    return BedrockConverseTeacher(model=MODEL, client=client), stubber


def test_gaps_are_filled_recorded_and_never_paid_twice(ws):
    labels = _labels(ws)
    price = Price(0.0025, 0.0125)
    teacher, stubber = _stubbed([_converse_response(GAP_ANSWER) for _ in labels])
    report = annotate(ws, teacher, schema_name="invoice", mode="gaps", concurrency=1, price=price, actor="admin")
    stubber.assert_no_pending_responses()
    assert report.called == len(labels) and report.failed == 0
    assert report.cost_usd == pytest.approx(len(labels) * price.cost(1895, 411))
    fields = json.loads(_labels(ws)[0].fields)
    assert fields["due_date"]["value"] == "2019-04-30" and fields["due_date"]["source"] == "teacher"
    assert fields["due_date"]["agent"] == MODEL
    assert fields["line_items[0].description"]["value"] == "Cable ties 300mm"
    assert fields["invoice_number"]["source"] == "erp"  # known values are context, not overwritten
    assert "due_date" not in json.loads(_labels(ws)[0].gaps)
    with ws.session() as session:
        calls = session.exec(select(TeacherCall)).all()
    assert len(calls) == len(labels) and all(c.input_tokens == 1895 and c.status == "ok" for c in calls)
    # A second run asks nothing: a stub with no answers would fail on any call.
    silent, silent_stub = _stubbed([])
    again = annotate(ws, silent, schema_name="invoice", mode="gaps", concurrency=1, price=price, actor="admin")
    assert again.called == 0 and again.documents == 0  # the gaps are filled
    result = CliRunner().invoke(app, ["-w", str(ws.root), "report", "teacher", "--json"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    assert totals["calls"] == len(labels) and totals["input_tokens"] == 1895 * len(labels)
    assert totals["cost_usd"] == pytest.approx(report.cost_usd, abs=1e-5)


def test_resume_after_interruption_pays_only_for_the_rest(ws):
    labels = _labels(ws)
    price = Price(0.0025, 0.0125)
    # First run dies after 3 answers (the 4th call raises something unexpected).
    teacher, _ = _stubbed([_converse_response(GAP_ANSWER) for _ in range(3)])
    with pytest.raises(Exception):
        annotate(ws, teacher, schema_name="invoice", concurrency=1, price=price, actor="admin")
    with ws.session() as session:
        assert len(session.exec(select(TeacherCall)).all()) == 3
    rest, stub = _stubbed([_converse_response(GAP_ANSWER) for _ in range(len(labels) - 3)])
    report = annotate(ws, rest, schema_name="invoice", concurrency=1, price=price, actor="admin")
    stub.assert_no_pending_responses()
    assert report.called == len(labels) - 3


def test_throttling_backs_off_and_retries(ws):
    labels = _labels(ws)
    script = [("ThrottlingException", 429), ("ServiceUnavailableException", 503)]
    script += [_converse_response(GAP_ANSWER) for _ in labels]
    teacher, stubber = _stubbed(script)
    report = annotate(ws, teacher, schema_name="invoice", concurrency=1, backoff_seconds=0.01, actor="admin")
    stubber.assert_no_pending_responses()
    assert report.called == len(labels) and report.retries == 2 and report.failed == 0


def test_refused_and_malformed_answers_are_quarantined_and_the_rest_goes_on(ws):
    labels = _labels(ws)
    script = [("ValidationException", 400), _text_response("Sure! Here are the fields: due date April"),
              _text_response("still not JSON")]
    script += [_converse_response(GAP_ANSWER) for _ in labels[2:]]
    teacher, stubber = _stubbed(script)
    report = annotate(ws, teacher, schema_name="invoice", concurrency=1, backoff_seconds=0.01, actor="admin")
    stubber.assert_no_pending_responses()
    assert [p["reason"] for p in report.problems] == ["refused", "invalid"]
    assert report.called == len(labels) - 2
    entries = {e.reason for e in quarantined(ws, "teach")}
    assert entries == {"teacher_refused", "teacher_invalid"}
    untouched = json.loads(_labels(ws)[0].fields)
    assert "due_date" not in untouched


def test_verify_mode_keeps_both_values_of_a_conflict(ws):
    labels = _labels(ws)
    schema = builtin_schema("invoice")
    answers = []
    for label in labels:
        target = build_target(schema, {p: e["value"] for p, e in json.loads(label.fields).items()})
        target["total"] = (target["total"] or 0) + 100.0  # the teacher reads another total
        answers.append(_converse_response(target))
    teacher, stubber = _stubbed(answers)
    report = annotate(ws, teacher, schema_name="invoice", mode="verify", concurrency=1, actor="admin")
    stubber.assert_no_pending_responses()
    assert report.conflicts == len(labels) and report.agreements > len(labels)
    label = _labels(ws)[0]
    total = json.loads(label.fields)["total"]
    assert total["conflict"] is True and [c["source"] for c in total["candidates"]] == ["erp", "teacher"]
    assert total["candidates"][1]["value"] == total["candidates"][0]["value"] + 100.0
    assert json.loads(label.fields)["invoice_number"]["agreed_by"] == [MODEL]
    assert label.status == "pre_annotated"  # triage decides, conflicts first
    result = triage(ws, schema_name="invoice", actor="admin")
    assert result.needs_review == len(labels) and result.by_priority == {0: len(labels)}
    label = _labels(ws)[0]
    assert label.status == "needs_review" and label.priority == 0
    assert label.score == pytest.approx(0.3)  # the conflicting field's confidence


def test_triage_priority_and_model_confidence(ws):
    """Gaps filled by the teacher alone go to review (priority 1 when unsure); a field the
    model reports as sure is no longer 'unsure', and trusting the teacher alone accepts it."""
    labels = _labels(ws)
    unsure, sure = dict(GAP_ANSWER), dict(GAP_ANSWER, _confidence={"due_date": 0.97, "line_items": 0.95,
                                                                    "discount": 0.99})
    teacher, stubber = _stubbed([_converse_response(unsure if i % 2 else sure) for i in range(len(labels))])
    annotate(ws, teacher, schema_name="invoice", concurrency=1, actor="admin")
    stubber.assert_no_pending_responses()
    by_id = {label.id: json.loads(label.fields) for label in _labels(ws)}
    assert all("_confidence" not in fields for fields in by_id.values())
    report = triage(ws, schema_name="invoice", actor="admin")
    assert report.policy == "agreement-v1" and report.auto_accepted == 0
    for index, label in enumerate(_labels(ws)):
        fields = json.loads(label.fields)
        assert label.status == "needs_review"
        if index % 2:
            assert fields["due_date"]["confidence"] == 0.7 and label.priority == 1
        else:
            assert fields["due_date"]["confidence"] == 0.97 and label.priority == 2
    # The teacher's null for the discount is a suggestion: the field stays unknown until a person
    # (or a configured agreement rule) decides, so the label is not complete.
    assert all("unknown: discount" in label_reasons for label_reasons in
               (judge(label, builtin_schema("invoice"), TriageConfig()).reasons for label in _labels(ws)))
    # A team that trusts a sure teacher alone, over a field set without the discount: the sure
    # half needs nobody.
    schema = builtin_schema("invoice")
    without_discount = [leaf for leaf in leaf_paths(schema) if leaf != "discount"]
    lenient = TriageConfig(trusted_alone=["erp", "rule", "teacher", "human"], min_confidence=0.9)
    verdicts = [judge(label, schema, lenient, without_discount) for label in _labels(ws)]
    clean = [v for i, v in enumerate(verdicts) if i % 2 == 0 and not json.loads(_labels(ws)[i].problems)
             and not any(e.get("suspect") for e in json.loads(_labels(ws)[i].fields).values())]
    assert clean and all(v.priority is None for v in clean)
    assert all(v.priority == 1 for i, v in enumerate(verdicts) if i % 2)


def _teacher_endpoint(latency: float = 0.05) -> FakeChat:
    """The teacher's endpoint: answers the gaps, and refuses json_schema output at first."""
    return FakeChat(json.dumps(GAP_ANSWER), latency=latency, refuse_json_schema=True)


def test_openai_compatible_teacher_with_latency_errors_and_fallback(ws):
    labels = _labels(ws)
    chat = _teacher_endpoint()
    chat.fail_next = [429, 500]
    try:
        teacher = OpenAICompatibleTeacher(chat.url, "qwen2.5-vl-7b")
        report = annotate(ws, teacher, schema_name="invoice", concurrency=4, backoff_seconds=0.01, actor="admin")
    finally:
        chat.close()
    assert report.called == len(labels) and report.failed == 0 and report.retries >= 1
    assert report.input_tokens == 1200 * len(labels)
    assert teacher.schema_mode is False  # fell back to json_object after the 400
    image = chat.bodies[-1]["messages"][0]["content"][0]
    assert image["type"] == "image_url" and image["image_url"]["url"].startswith("data:image/png;base64,")
    assert json.loads(_labels(ws)[0].fields)["due_date"]["source"] == "teacher"


def test_budget_stops_cleanly(ws):
    chat = _teacher_endpoint(latency=0.0)
    chat.refuse_json_schema = False
    try:
        report = annotate(ws, OpenAICompatibleTeacher(chat.url, "m"), schema_name="invoice", concurrency=1,
                          budget_usd=5.0, price=Price(1.0, 1.0), actor="admin")
    finally:
        chat.close()
    # Each answer costs 1.4 USD here; a document is only started while the money spent plus
    # the estimate for it (1,895 + 411 tokens = 2.306 USD) stays within the budget.
    assert report.stopped_by_budget and report.called == 2
    assert report.cost_usd == pytest.approx(2.8) and report.cost_usd <= 5.0


def test_estimate_sends_nothing(ws):
    runner = CliRunner()
    result = runner.invoke(app, ["-w", str(ws.root), "annotate", "--teacher", "openai:http://127.0.0.1:9/v1#m",
                                 "--estimate", "--price", "0.0025,0.0125", "--json"])
    assert result.exit_code == 0, result.output
    estimate = json.loads(result.stdout)["estimate"]
    assert estimate["documents"] == len(_labels(ws)) and estimate["input_tokens"] == 1895 * estimate["pages"]
    assert estimate["usd"] > 0
    bad = runner.invoke(app, ["-w", str(ws.root), "annotate", "--teacher", "gpt5"])
    assert bad.exit_code == 2 and "bedrock:<model>" in bad.output


def test_demo_teacher_step(ws, monkeypatch):
    from curator.demo import _teach
    from curator.progress import SilentProgress

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    skipped = _teach(ws, None, 1.0, SilentProgress)
    assert "no AWS credentials" in skipped["skipped"]
    chat = _teacher_endpoint(latency=0.0)
    chat.refuse_json_schema = False
    try:
        taught = _teach(ws, f"openai:{chat.url}#qwen", 1.0, SilentProgress)
    finally:
        chat.close()
    assert taught["invoice"]["called"] == len(_labels(ws)) and taught["invoice"]["fields_filled"] > 0
    assert taught["w2"]["documents"] == 0


# -- Bedrock batch inference: moto S3 holds the requests and answers, Bedrock is stubbed --

BATCH_MODEL = "us.amazon.nova-premier-v1:0"
ROLE = "arn:aws:iam::123456789012:role/curator-batch"
JOB_ARN = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/{}"


def _batch_clients():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="teach")
    bedrock = boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="test",
                           aws_secret_access_key="test")
    return s3, bedrock


def _records(s3, uri: str) -> list[dict]:
    key = uri[len("s3://teach/"):]
    return [json.loads(line) for line in s3.get_object(Bucket="teach", Key=key)["Body"].iter_lines()]


def _expect_create(stubber: Stubber, job: str, job_id: str) -> None:
    stubber.add_response("create_model_invocation_job", {"jobArn": JOB_ARN.format(job_id)}, {
        "jobName": job, "roleArn": ROLE, "modelId": BATCH_MODEL, "clientRequestToken": job,
        "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"s3://teach/runs/{job}/input/records.jsonl",
                                                  "s3InputFormat": "JSONL"}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://teach/runs/{job}/output/"}}})


def _expect_status(stubber: Stubber, job: str, job_id: str, status: str, message: str | None = None) -> None:
    response = {"jobArn": JOB_ARN.format(job_id), "jobName": job, "modelId": BATCH_MODEL, "roleArn": ROLE,
                "status": status, "submitTime": "2026-11-21T10:00:00Z",
                "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"s3://teach/runs/{job}/input/records.jsonl"}},
                "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://teach/runs/{job}/output/"}}}
    if message:
        response["message"] = message
    stubber.add_response("get_model_invocation_job", response, {"jobIdentifier": JOB_ARN.format(job_id)})


@mock_aws
def test_bedrock_batch_submit_collect_and_resubmit(ws, monkeypatch):
    from curator.store.models import TeacherBatch
    from curator.teach.batch import BedrockBatch, run_batch

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    labels = _labels(ws)
    s3, bedrock = _batch_clients()
    stubber = Stubber(bedrock)
    stubber.activate()
    batch = BedrockBatch(model=BATCH_MODEL, s3_uri="s3://teach/runs", role_arn=ROLE, bedrock=bedrock, s3=s3,
                         min_records=2)
    price = Price(0.0025, 0.0125)

    # 1. The first create call fails (a crash between writing the job row and starting it).
    stubber.add_client_error("create_model_invocation_job", "ServiceUnavailableException", http_status_code=503)
    with pytest.raises(Exception):
        run_batch(ws, batch, schema_name="invoice", price=price, actor="admin")
    with ws.session() as session:
        (row,) = session.exec(select(TeacherBatch)).all()
    assert row.job_arn is None and row.records == len(labels)
    # 2. Running again starts the same job (same name, same idempotency token), nothing new.
    _expect_create(stubber, row.job_name, "job1")
    first = run_batch(ws, batch, schema_name="invoice", price=price, actor="admin")
    assert [b["status"] for b in first.batches] == ["Submitted"] and first.called == 0
    records = _records(s3, row.input_uri)
    assert [r["recordId"] for r in records] == [t["cache_key"] for t in json.loads(row.tasks)]
    body = records[0]["modelInput"]
    assert body["schemaVersion"] == "messages-v1" and "image" in body["messages"][0]["content"][0]
    assert body["toolConfig"]["toolChoice"] == {"tool": {"name": "emit_fields"}}
    assert body["inferenceConfig"]["temperature"] == 0.0

    # 3. Still running: nothing collected, nothing submitted twice.
    _expect_status(stubber, row.job_name, "job1", "InProgress")
    running = run_batch(ws, batch, schema_name="invoice", price=price, actor="admin")
    assert running.called == 0 and running.batches[0]["status"] == "InProgress"

    # 4. Bedrock writes the answers: one refused record, one without a tool call, the rest fine.
    lines = []
    for index, record in enumerate(records):
        line = {"recordId": record["recordId"], "modelInput": record["modelInput"]}
        if index == 0:
            line["error"] = {"errorCode": 400, "errorMessage": "Malformed input request"}
        elif index == 1:
            line["modelOutput"] = _text_response("I cannot read this")
        else:
            line["modelOutput"] = _converse_response(GAP_ANSWER)
        lines.append(json.dumps(line))
    s3.put_object(Bucket="teach", Key=f"runs/{row.job_name}/output/job1/records.jsonl.out",
                  Body="\n".join(lines).encode())
    s3.put_object(Bucket="teach", Key=f"runs/{row.job_name}/output/job1/manifest.json.out", Body=b"{}")
    _expect_status(stubber, row.job_name, "job1", "PartiallyCompleted", "2 records failed")
    # The two failures are unanswered again and go into a new job of their own.
    retry_job = "curator-teach-" + __import__("hashlib").sha256(
        "\n".join(r["recordId"] for r in records[:2]).encode()).hexdigest()[:20]
    _expect_create(stubber, retry_job, "job2")
    done = run_batch(ws, batch, schema_name="invoice", price=price, actor="admin")
    assert done.called == len(labels) - 2 and done.failed == 2
    assert {p["reason"] for p in done.problems} == {"refused", "invalid"}
    assert done.cost_usd == pytest.approx((len(labels) - 2) * price.cost(1895, 411) / 2)  # batch: half price
    assert json.loads(_labels(ws)[2].fields)["due_date"]["source"] == "teacher"
    with ws.session() as session:
        second = session.exec(select(TeacherBatch).where(TeacherBatch.job_name == retry_job)).one()
    assert [r["recordId"] for r in _records(s3, second.input_uri)] == [r["recordId"] for r in records[:2]]
    assert {e.reason for e in quarantined(ws, "teach")} == {"teacher_refused", "teacher_invalid"}

    # 5. The retry job fails as a whole: a clear problem, and its documents go out again.
    _expect_status(stubber, retry_job, "job2", "Failed", "The role cannot read the input")
    _expect_create(stubber, f"{retry_job}-r1", "job3")
    failed = run_batch(ws, batch, schema_name="invoice", price=price, actor="admin")
    assert failed.problems == [{"document": "-", "reason": "batch_failed",
                                "detail": f"job {retry_job}: The role cannot read the input"}]
    assert [b["status"] for b in failed.batches] == ["PartiallyCompleted", "Failed", "Submitted"]
    stubber.assert_no_pending_responses()


def test_bedrock_batch_refuses_a_run_below_the_minimum(ws):
    from curator.teach.batch import BedrockBatch, run_batch

    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    bedrock = boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    batch = BedrockBatch(model=BATCH_MODEL, s3_uri="s3://teach/runs", role_arn=ROLE, bedrock=bedrock, s3=s3)
    with pytest.raises(ValueError, match="at least 100 records"):
        run_batch(ws, batch, schema_name="invoice", actor="admin")
    with pytest.raises(ValueError, match="not a Nova model"):
        BedrockBatch(model="anthropic.claude-3", s3_uri="s3://teach/runs", role_arn=ROLE, bedrock=bedrock, s3=s3)
    result = CliRunner().invoke(app, ["-w", str(ws.root), "annotate", "--teacher", f"bedrock-batch:{BATCH_MODEL}"])
    assert result.exit_code == 2 and "--s3" in result.output and "--role-arn" in result.output


def test_a_teacher_that_cannot_be_reached_stops_the_run_at_once(ws):
    """The circuit breaker: a few documents in a row whose endpoint is down end the run with one
    message, instead of minutes of retries per document."""
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    labels = _labels(ws)
    started = time.perf_counter()
    report = annotate(ws, OpenAICompatibleTeacher(f"http://127.0.0.1:{port}/v1", "qwen"), actor="admin",
                      schema_name="invoice", concurrency=1, backoff_seconds=0.01)
    assert time.perf_counter() - started < 10
    assert report.stopped_reason and "could not be reached for 3 documents in a row" in report.stopped_reason
    assert report.failed == 3 and report.retries == 3  # asked twice each, not six times
    assert f"{len(labels) - 3} documents were not sent" in report.stopped_reason


def test_bedrock_retries_in_botocores_adaptive_mode_against_an_endpoint(ws, monkeypatch):
    """No injected client: the teacher's own boto3 client talks HTTP to an endpoint served here
    (AWS_ENDPOINT_URL), which throttles twice and then answers. botocore's adaptive retry
    mode asks again by itself; the report counts the requests it sent."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    labels = _labels(ws)
    seen: list[str] = []

    class Bedrock(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.path)
            if len(seen) <= 2:
                body, status = json.dumps({"message": "Too many requests, please wait"}).encode(), 429
                headers = {"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/"}
            else:
                body, status, headers = json.dumps(_converse_response(GAP_ANSWER)).encode(), 200, {}
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Bedrock)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for name, value in {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_port}", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(name, value)
    try:
        teacher = BedrockConverseTeacher(MODEL)
        report = annotate(ws, teacher, schema_name="invoice", concurrency=1, backoff_seconds=0.01, actor="admin")
    finally:
        server.shutdown()
    assert teacher.client.meta.config.retries["mode"] == "adaptive"
    assert report.called == len(labels) and report.failed == 0
    assert report.retries == 2 and len(seen) == len(labels) + 2  # both throttles retried by botocore, once each
    assert all(path.endswith("/converse") for path in seen)
    with ws.session() as session:
        assert sorted(c.attempts for c in session.exec(select(TeacherCall)))[-1] == 3


def test_above_the_volume_threshold_annotate_proposes_batch_inference_and_sends_nothing(ws):
    from curator.teach.volume import choose_delivery
    from curator.config import save_config
    ws.config.teacher.batch_above = 3
    save_config(ws.root, ws.config)
    result = CliRunner().invoke(app, ["-w", str(ws.root), "annotate", "--teacher", f"bedrock:{MODEL}",
                                      "--schema", "invoice"])
    assert result.exit_code == 0, result.output
    assert "Bedrock batch inference" in result.output and "Nothing was sent" in result.output
    with ws.session() as session:
        assert not session.exec(select(TeacherCall)).all()
    choice = choose_delivery(ws, MODEL, schema_name="invoice", mode="gaps", price=Price(0.0025, 0.0125), above=3,
                             actor="admin")
    assert choice.batch_is_cheaper and choice.documents == len(_labels(ws))
    assert choice.batch_usd == pytest.approx(choice.on_demand_usd / 2, rel=0.01)
    small = choose_delivery(ws, MODEL, schema_name="invoice", mode="gaps", price=None, above=10_000, actor="admin")
    assert not small.batch_is_cheaper and small.on_demand_usd is None
