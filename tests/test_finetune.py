"""Fine-tuning: moto for S3, SageMaker and the Bedrock calls it implements (customization jobs,
found by name), botocore's Stubber for the rest (deployments); every request is checked against
botocore's service model."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from botocore.validate import validate_parameters
from moto import mock_aws
from typer.testing import CliRunner

from curator.cli import app
from curator.curate.export import export_dataset
from curator.curate.splits import assign_splits
from curator.finetune.bedrock import submit_bedrock
from curator.finetune.jobs import FinetuneError
from curator.finetune.lifecycle import cleanup_job, deploy_job, job_status, jobs_overview, stop_job
from curator.finetune.recipes import base_model, recommend
from curator.finetune.sagemaker import submit_sagemaker
from curator.review.users import Actor, PermissionDenied, add_user
from curator.samples.review_load import populate_for_review
from curator.workspace import init_workspace, open_workspace

ROLE = "arn:aws:iam::123456789012:role/curator-finetune"
AUTHOR = Actor("ana", "author")
REVIEWER = Actor("rita", "reviewer")
MODEL = botocore.session.get_session()


def _valid(service: str, operation: str, request: dict) -> None:
    model = MODEL.get_service_model(service)
    validate_parameters(request, model.operation_model(operation).input_shape)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("finetune") / "ws"
    ws = init_workspace(root)
    populate_for_review(ws, 80, seed=12)
    add_user(ws, AUTHOR.name, AUTHOR.role, "correct horse battery", by="admin")
    add_user(ws, REVIEWER.name, REVIEWER.role, "correct horse battery", by="admin")
    assign_splits(ws, seed=3, actor="admin")
    export_dataset(ws, fmt="bedrock-nova", schema_name="invoice", s3_prefix="s3://datasets/invoices-v1", actor="admin")
    export_dataset(ws, fmt="swift", schema_name="invoice", actor="admin")
    ws.close()
    return root


@pytest.fixture
def ws(exported, tmp_path, monkeypatch):
    import shutil

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    shutil.copytree(exported, tmp_path / "ws")
    workspace = open_workspace(tmp_path / "ws")
    yield workspace
    workspace.close()


def test_recommended_hyperparameters_follow_the_seeds_and_the_ranges():
    nova, llama = base_model("nova-lite"), base_model("llama32-11b")
    assert recommend(nova, 120) == {"epochCount": "5", "learningRate": "1e-05", "batchSize": "1",
                                    "learningRateWarmupSteps": "1"}  # 8 epochs clamped to Nova's 5
    assert recommend(llama, 120)["epochCount"] == "8" and recommend(llama, 20_000)["epochCount"] == "3"
    assert recommend(nova, 32_000)["learningRateWarmupSteps"] == "100"  # 200 clamped
    assert recommend(nova, 900, {"epochCount": 9, "learningRate": 0.5})["learningRate"] == "0.0001"
    with pytest.raises(ValueError, match="no hyperparameter"):
        recommend(nova, 100, {"dropout": 0.1})
    with pytest.raises(ValueError, match="base model must be one of"):
        base_model("gpt-5")


def test_dry_run_prints_the_exact_request_and_sends_nothing(ws):
    plan = submit_bedrock(ws, AUTHOR, base="nova-lite", role_arn=ROLE, dry_run=True)
    request = plan["request"]
    _valid("bedrock", "CreateModelCustomizationJob", request)
    assert request["trainingDataConfig"]["s3Uri"] == "s3://datasets/invoices-v1/train.jsonl"
    assert request["baseModelIdentifier"] == "amazon.nova-lite-v1:0:300k"
    assert request["hyperParameters"]["epochCount"] == "5" and plan["estimate"]["usd"] > 0
    assert "validationDataConfig" in request
    with pytest.raises(FinetuneError, match="takes no validation set.*needs at least 200"):
        submit_bedrock(ws, AUTHOR, base="nova-2-lite", role_arn=ROLE, dry_run=True)  # validated for that model
    distilled = submit_bedrock(ws, AUTHOR, base="nova-lite", role_arn=ROLE, dry_run=True, distill_teacher="nova-premier")
    _valid("bedrock", "CreateModelCustomizationJob", distilled["request"])
    assert distilled["request"]["customizationType"] == "DISTILLATION"
    result = CliRunner().invoke(app, ["-w", str(ws.root), "finetune", "submit", "--provider", "bedrock",
                                      "--base-model", "nova-lite", "--role-arn", ROLE, "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["request"] == request
    assert jobs_overview(ws, AUTHOR) == []  # nothing recorded, nothing sent


def test_failure_paths_end_in_clear_messages(ws):
    with pytest.raises(FinetuneError, match="service role is needed"):
        submit_bedrock(ws, AUTHOR, base="nova-lite", role_arn=None, dry_run=True)
    with pytest.raises(FinetuneError, match="no bedrock-llama32 export"):
        submit_bedrock(ws, AUTHOR, base="llama32-11b", role_arn=ROLE, dry_run=True)
    with pytest.raises(PermissionDenied):
        submit_bedrock(ws, REVIEWER, base="nova-lite", role_arn=ROLE, dry_run=True)
    for code, expected in (("ServiceQuotaExceededException", "quota"),
                           ("ValidationException", "check --role-arn")):
        client = boto3.client("bedrock", region_name="us-east-1")
        stubber = Stubber(client)
        stubber.add_client_error("create_model_customization_job", service_error_code=code,
                                 service_message="The role arn:aws:iam::1:role/x cannot be assumed" if code ==
                                 "ValidationException" else "Too many jobs", http_status_code=400)
        stubber.activate()
        with mock_aws():
            boto3.client("s3").create_bucket(Bucket="datasets")
            with pytest.raises(FinetuneError, match=expected):
                submit_bedrock(ws, AUTHOR, base="nova-lite", role_arn=ROLE, client=client,
                               s3_client=boto3.client("s3"))


@mock_aws
def test_bedrock_submit_status_loss_deploy_cleanup(ws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="datasets")
    bedrock = boto3.client("bedrock")
    submitted = submit_bedrock(ws, AUTHOR, base="nova-lite", role_arn=ROLE, client=bedrock, s3_client=s3)
    name = submitted["job"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="datasets", Prefix="invoices-v1/")["Contents"]}
    assert {"invoices-v1/train.jsonl", "invoices-v1/manifest.json"} <= keys  # uploaded before the job
    assert bedrock.get_model_customization_job(jobIdentifier=name)["status"] == "InProgress"
    again = submit_bedrock(ws, AUTHOR, base="nova-lite", role_arn=ROLE, client=bedrock, s3_client=s3)
    assert again["already_submitted"] and again["job"] == name and len(jobs_overview(ws, AUTHOR)) == 1
    # The job finishes; Bedrock writes the step-wise metrics.
    from moto.bedrock.models import bedrock_backends

    backend = bedrock_backends["123456789012"]["us-east-1"]
    backend.model_customization_jobs[name].status = "Completed"
    output = bedrock.get_model_customization_job(jobIdentifier=name)["outputDataConfig"]["s3Uri"]
    bucket, _, prefix = output[len("s3://"):].partition("/")
    csv = "step_number,epoch_number,training_loss\n" + "\n".join(f"{s},{s // 10},{2.0 / (1 + s):.4f}"
                                                                  for s in range(1, 31))
    s3.put_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/model-customization-job-{name}/training_artifacts/"
                                     "step_wise_training_metrics.csv", Body=csv.encode())
    status = job_status(ws, AUTHOR, name, client=bedrock, s3_client=s3)
    assert status["status"] == "Completed" and status["timeline"][-1]["stage"] == "completed"
    assert len(status["loss"]) == 30 and status["loss"][-1]["loss"] < status["loss"][0]["loss"]
    assert Path(status["loss_png"]).read_bytes()[:4] == b"\x89PNG"
    assert status["custom_model_arn"]
    # Deploy and clean up: not in moto, so through the Stubber (requests checked against botocore).
    runtime = boto3.client("bedrock", region_name="us-east-1")
    stubber = Stubber(runtime)
    deployment = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc123"
    stubber.add_response("create_custom_model_deployment", {"customModelDeploymentArn": deployment})
    for state in ("Creating", "Active"):
        stubber.add_response("get_custom_model_deployment", {
            "customModelDeploymentArn": deployment, "modelDeploymentName": f"{name}-od",
            "modelArn": status["custom_model_arn"], "createdAt": "2026-11-21T10:00:00Z", "status": state},
            {"customModelDeploymentIdentifier": deployment})
    stubber.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": deployment})
    stubber.add_response("delete_custom_model", {}, {"modelIdentifier": status["custom_model_arn"]})
    stubber.activate()
    with pytest.raises(PermissionDenied):
        deploy_job(ws, REVIEWER, name, client=runtime)
    deployed = deploy_job(ws, AUTHOR, name, client=runtime, poll_seconds=0)
    assert deployed["status"] == "Active" and jobs_overview(ws, AUTHOR)[0]["deployment_arn"] == deployment
    cleaned = cleanup_job(ws, AUTHOR, name, client=runtime)
    assert cleaned["removed"] == [deployment, status["custom_model_arn"]]
    stubber.assert_no_pending_responses()
    assert jobs_overview(ws, AUTHOR)[0]["status"] == "Deleted"


@mock_aws
def test_a_failed_job_shows_the_providers_message(ws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="datasets")
    bedrock = boto3.client("bedrock")
    name = submit_bedrock(ws, AUTHOR, base="nova-lite", role_arn=ROLE, client=bedrock, s3_client=s3)["job"]
    from moto.bedrock.models import bedrock_backends

    job = bedrock_backends["123456789012"]["us-east-1"].model_customization_jobs[name]
    job.status, job.failure_message = "Failed", "Data validation failed: record 3 has 11 images"
    result = CliRunner().invoke(app, ["-w", str(ws.root), "finetune", "status", name])
    assert result.exit_code == 0, result.output
    status = job_status(ws, AUTHOR, name, client=bedrock, s3_client=s3)
    assert status["status"] == "Failed" and "record 3 has 11 images" in status["failure_message"]
    assert status["timeline"][-1] == {"stage": "failed", "status": "Failed", "at": status["timeline"][-1]["at"],
                                      "message": "Data validation failed: record 3 has 11 images"}
    stopped = stop_job(ws, AUTHOR, name, client=bedrock)
    assert stopped["status"] == "Stopping"


@mock_aws
def test_sagemaker_ms_swift_job(ws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="training")
    sagemaker = boto3.client("sagemaker")
    plan = submit_sagemaker(ws, AUTHOR, role_arn=ROLE, s3="s3://training/curator", dry_run=True)
    _valid("sagemaker", "CreateTrainingJob", plan["request"])
    script = plan["entry_script"]
    assert "swift sft" in script and "--use_dora true" in script and "--freeze_vit true" in script
    assert "MAX_PIXELS=602112" in script and "Qwen/Qwen2.5-VL-3B-Instruct" in script
    request = plan["request"]
    assert request["EnableManagedSpotTraining"] and request["CheckpointConfig"]["S3Uri"].endswith("/checkpoints/")
    assert [c["ChannelName"] for c in request["InputDataConfig"]] == ["train", "code"]
    submitted = submit_sagemaker(ws, AUTHOR, role_arn=ROLE, s3="s3://training/curator", client=sagemaker,
                                 s3_client=s3, overrides={"num_train_epochs": "2"})
    name = submitted["job"]
    base = f"curator/{name}"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="training", Prefix=base)["Contents"]}
    assert f"{base}/code/train.sh" in keys and f"{base}/dataset/train.jsonl" in keys
    assert sagemaker.describe_training_job(TrainingJobName=name)["HyperParameters"]["num_train_epochs"] == "2"
    log = "\n".join(json.dumps({"loss": 1.5 / (1 + s), "global_step/max_steps": f"{s}/40", "epoch": s / 20})
                    for s in range(1, 41, 5))
    s3.put_object(Bucket="training", Key=f"{base}/checkpoints/swift/v0/logging.jsonl", Body=log.encode())
    status = job_status(ws, AUTHOR, name, client=sagemaker, s3_client=s3)
    assert status["provider"] == "sagemaker" and status["status"] in ("InProgress", "Completed")
    assert len(status["loss"]) == 8 and Path(status["loss_png"]).exists()
    with pytest.raises(PermissionDenied):
        stop_job(ws, REVIEWER, name, client=sagemaker)
    # moto has no stop_training_job: the Stubber checks the request against the service model.
    stubbed = boto3.client("sagemaker", region_name="us-east-1")
    stubber = Stubber(stubbed)
    stubber.add_response("stop_training_job", {}, {"TrainingJobName": name})
    stubber.activate()
    assert stop_job(ws, AUTHOR, name, client=stubbed)["status"] == "Stopping"
    stubber.assert_no_pending_responses()


def test_fine_tune_page(ws, monkeypatch):
    """The UI page: an author sees validation, settings and cost and may submit; a reviewer may not."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CURATOR_WORKSPACE", str(ws.root))
    app_file = str(Path(__file__).resolve().parents[1] / "app" / "review_app.py")
    for name, can_submit in (("ana", True), ("rita", False)):
        at = AppTest.from_file(app_file, default_timeout=60).run()
        at.text_input(key="login_name").input(name)
        at.text_input(key="login_password").input("correct horse battery")
        at.button[0].click().run()
        at.sidebar.radio(key="nav").set_value("Fine-tune").run()
        assert not at.exception, at.exception
        if can_submit:
            at.text_input(key="ft_role").input(ROLE).run()
            assert any("is valid for nova-lite" in s.value for s in at.success)
            assert at.metric[0].value.startswith("$")
            assert any(b.key == "ft_submit" for b in at.button)
            assert at.button(key="ft_submit").disabled  # a paid job waits for the confirmation
            assert "export" in at.selectbox(key="ft_export").format_func(at.selectbox(key="ft_export").value)
            at.checkbox(key="ft_confirm").check().run()
            assert not at.button(key="ft_submit").disabled
        else:
            assert any("Only authors and admins" in i.value for i in at.info)
            assert not any(b.key == "ft_submit" for b in at.button)


@pytest.mark.parametrize("version,flag", [("3.5.3", "--train_type"), ("4.0.2", "--train_type"),
                                          ("4.1.0", "--tuner_type"), ("4.6.1", "--tuner_type")])
def test_the_training_script_uses_the_flag_of_the_ms_swift_it_runs_with(tmp_path, version, flag):
    """ms-swift 4.1 renamed --train_type to --tuner_type: the generated script asks the installed
    version (a fake distribution here) and passes the flag that version knows."""
    import subprocess
    import sys

    from curator.finetune.sagemaker import RECIPE, SWIFT_VERSIONS, entry_script

    dist = tmp_path / f"ms_swift-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: ms-swift\nVersion: {version}\n")
    script = entry_script("Qwen/Qwen2.5-VL-3B-Instruct", RECIPE, has_validation=False)
    line = next(line for line in script.splitlines() if line.startswith("tuner_flag="))
    out = subprocess.run(["bash", "-c", f'{line}; echo "$tuner_flag"'], capture_output=True, text=True,
                         env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PYTHONPATH": str(tmp_path)})
    assert out.stdout.strip() == flag, out.stderr
    assert f'"ms-swift{SWIFT_VERSIONS}"' in script and '"$tuner_flag" lora' in script
    assert "--tuner_type lora" not in script and "--train_type lora" not in script
