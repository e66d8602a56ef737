"""The technology catalog: loading and validation, and one positive and one negative
fixture per technology, each a small repository written from the technology's documented
API (never copied from a real repository)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_factory._assess.snapshot import RepoSnapshot
from mlops_factory._assess.technologies import (
    CAPABILITIES,
    Match,
    Recogniser,
    catalog,
    load_catalog,
    matches,
)
from mlops_factory._errors import FactoryError
from tests.helpers import build_tree

# ------------------------------------------------------------------ loading


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


GOOD = """
schema: mlops-factory/technologies/v1
technologies:
  - id: demo
    name: Demo
    docs: https://example.org/docs
    recognisers:
      - capability: trains
        python: {calls: [demo.train]}
"""


def test_a_valid_file_loads(tmp_path: Path) -> None:
    cat = load_catalog(_write(tmp_path, "demo.yaml", GOOD))
    assert [t.id for t in cat.technologies] == ["demo"]
    assert [r.tech.id for r in cat.rules("trains")] == ["demo"]
    assert cat.rules("serves") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("trains", "juggles"),
            "technologies[0].recognisers[0]: field 'capability'",
        ),
        (GOOD.replace("docs: https://", "docs: http://"), "field 'docs'"),
        (
            GOOD.replace("python: {calls: [demo.train]}", "python: {calls: ['demo train']}"),
            "not a dotted Python name",
        ),
        (
            GOOD.replace("python: {calls: [demo.train]}", "python: {methods: [fit]}"),
            "methods need within",
        ),
        (
            GOOD.replace("python: {calls: [demo.train]}", "git_tags: ['[']"),
            "invalid regular expression",
        ),
        (
            GOOD.replace(
                "python: {calls: [demo.train]}",
                "python: {calls: [a.b]}\n        cli: {commands: [x]}",
            ),
            "exactly one of",
        ),
        (GOOD.replace("recognisers:", "colour: blue\n    recognisers:"), "field 'colour'"),
        (GOOD.replace("/v1", "/v9"), "field 'schema'"),
    ],
)
def test_mistakes_name_file_entry_and_field(tmp_path: Path, text: str, message: str) -> None:
    folder = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(FactoryError) as err:
        load_catalog(folder)
    assert str(tmp_path / "bad.yaml") in str(err.value)
    assert message in str(err.value)


def test_an_id_defined_twice_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", GOOD)
    _write(tmp_path, "b.yaml", GOOD)
    with pytest.raises(FactoryError, match="'demo' is also defined in"):
        load_catalog(tmp_path)


def test_the_built_in_catalog_is_valid_and_documented() -> None:
    cat = catalog()
    ids = [t.id for t in cat.technologies]
    assert len(ids) == len(set(ids))
    assert all(t.docs.startswith("https://") for t in cat.technologies)
    # Every capability but retraining triggers (an IaC graph question) has recognisers.
    assert {c for c in CAPABILITIES if not cat.rules(c)} == {"triggers_retraining"}


def test_cli_and_iac_recognisers_are_exposed_for_the_ci_and_iac_readers() -> None:
    cat = catalog()
    assert ("az ml online-deployment create", "Azure ML CLI v2") in cat.cli_commands("deploys")
    assert ("dvc repro", "DVC") in cat.cli_commands("defines_pipeline")
    assert ("AWS::SageMaker::MonitoringSchedule", "Amazon SageMaker") in cat.iac_types(
        "monitors_drift"
    )
    assert any(p.search("churn@v1.2.0") for p, _ in cat.git_tags("registers_models"))


# ------------------------------------------------------------------ fixtures


@dataclass(frozen=True)
class Fixture:
    """A repository in which ``tech`` shows ``capability`` (strongly, when ``positive``)."""

    tech: str
    capability: str
    tree: dict[str, str]
    positive: bool
    label: str


def pos(tech: str, capability: str, tree: dict[str, str], label: str = "api") -> Fixture:
    return Fixture(tech, capability, tree, True, label)


def neg(tech: str, capability: str, tree: dict[str, str], label: str) -> Fixture:
    return Fixture(tech, capability, tree, False, label)


FIXTURES = [
    # ---------------------------------------------------------------- AWS
    pos(
        "sagemaker",
        "trains",
        {
            "train.py": """
        from sagemaker.estimator import Estimator
        from sagemaker import image_uris

        image = image_uris.retrieve("xgboost", "eu-west-1", "1.7-1")
        est = Estimator(image_uri=image, role="r", instance_count=1, instance_type="ml.m5.large")
        est.fit({"train": "s3://bucket/train"})
        """
        },
        "built-in-algorithm-estimator",
    ),
    pos(
        "sagemaker",
        "evaluates_threshold",
        {
            "pipeline.py": """
        from sagemaker.workflow.condition_step import ConditionStep
        from sagemaker.workflow.conditions import ConditionLessThanOrEqualTo
        from sagemaker.workflow.functions import JsonGet

        cond = ConditionLessThanOrEqualTo(left=JsonGet(step_name="Eval", property_file=f,
                                          json_path="regression_metrics.mse.value"), right=6.0)
        step_cond = ConditionStep(name="CheckMSE", conditions=[cond], if_steps=[register],
            else_steps=[])
        """
        },
        "condition-step",
    ),
    pos(
        "sagemaker",
        "evaluates_threshold",
        {
            "pipeline.py": """
        from sagemaker.workflow.quality_check_step import QualityCheckStep, DataQualityCheckConfig

        step = QualityCheckStep(name="DataQuality", quality_check_config=DataQualityCheckConfig(
            baseline_dataset="s3://b/d", dataset_format={}, output_s3_uri="s3://b/o"))
        """
        },
        "quality-check-step",
    ),
    pos(
        "sagemaker",
        "registers_models",
        {
            "pipeline.py": """
        from sagemaker.workflow.step_collections import RegisterModel

        register = RegisterModel(name="Register", estimator=est, model_package_group_name="churn",
                                 approval_status="PendingManualApproval")
        """
        },
        "register-model-step",
    ),
    pos(
        "sagemaker",
        "registers_models",
        {
            "register.py": """
        import boto3

        sm = boto3.client("sagemaker")
        sm.create_model_package_group(ModelPackageGroupName="churn")
        """
        },
        "model-package-group",
    ),
    pos(
        "sagemaker",
        "monitors_drift",
        {
            "monitor.py": """
        from sagemaker.model_monitor import DefaultModelMonitor

        monitor = DefaultModelMonitor(role="r", instance_count=1, instance_type="ml.m5.xlarge")
        monitor.create_monitoring_schedule(endpoint_input="churn",
            schedule_cron_expression="cron(0 * ? * * *)")
        """
        },
        "model-monitor",
    ),
    pos(
        "sagemaker",
        "captures_predictions",
        {
            "deploy.py": """
        from sagemaker.model_monitor import DataCaptureConfig

        capture = DataCaptureConfig(enable_capture=True, sampling_percentage=100,
            destination_s3_uri="s3://b/c")
        predictor = model.deploy(initial_instance_count=1, instance_type="ml.m5.large",
            data_capture_config=capture)
        """
        },
        "data-capture",
    ),
    pos(
        "sagemaker",
        "deploys",
        {
            "deploy.py": """
        import sagemaker

        predictor = model.deploy(initial_instance_count=1, instance_type="ml.m5.large")
        """
        },
        "model-deploy",
    ),
    neg(
        "sagemaker",
        "trains",
        {
            "README.md": "We train with `sagemaker.estimator.Estimator` and `est.fit()`.\n",
            "train.py": "# from sagemaker.estimator import Estimator\n"
            "# est = Estimator(...)\nprint('todo')\n",
        },
        "readme-and-commented-out",
    ),
    neg(
        "sagemaker",
        "deploys",
        {"app.py": "def deploy(model):\n    model.deploy(initial_instance_count=1)\n"},
        "deploy-method-without-the-sdk",
    ),
    pos(
        "stepfunctions-ds",
        "trains",
        {
            "workflow.py": """
        from stepfunctions.steps import TrainingStep, ModelStep, EndpointStep, Chain
        from stepfunctions.workflow import Workflow

        training = TrainingStep("Train", estimator=est, data={"train": "s3://b"}, job_name="j")
        workflow = Workflow(name="ml", definition=Chain([training]), role="r")
        """
        },
    ),
    neg(
        "stepfunctions-ds",
        "trains",
        {
            "workflow.py": """
        from stepfunctions.steps import Pass, Chain
        from stepfunctions.workflow import Workflow

        workflow = Workflow(name="hello", definition=Chain([Pass("Hello")]), role="r")
        """
        },
        "workflow-without-training",
    ),
    # ---------------------------------------------------------------- Google
    pos(
        "vertex-ai",
        "trains",
        {
            "train.py": """
        from google.cloud import aiplatform

        aiplatform.init(project="p", location="europe-west1")
        job = aiplatform.CustomTrainingJob(display_name="churn", script_path="task.py",
                                          container_uri="europe-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest")
        model = job.run(replica_count=1)
        """
        },
    ),
    pos(
        "vertex-ai",
        "registers_models",
        {
            "upload.py": """
        from google.cloud import aiplatform

        model = aiplatform.Model.upload(display_name="churn", artifact_uri="gs://b/model",
                                        serving_container_image_uri="img",
                                            version_aliases=["candidate"])
        """
        },
    ),
    pos(
        "vertex-ai",
        "deploys",
        {
            "deploy.py": """
        from google.cloud import aiplatform

        endpoint = aiplatform.Endpoint.create(display_name="churn")
        model.deploy(endpoint=endpoint, machine_type="n1-standard-4", traffic_percentage=100)
        """
        },
    ),
    pos(
        "vertex-ai",
        "schedules",
        {
            "schedule.py": """
        from google.cloud import aiplatform

        job = aiplatform.PipelineJob(display_name="train", template_path="pipeline.json")
        job.create_schedule(display_name="nightly", cron="0 2 * * *")
        """
        },
    ),
    pos(
        "vertex-ai",
        "monitors_drift",
        {
            "monitor.py": """
        from google.cloud import aiplatform
        from google.cloud.aiplatform import model_monitoring

        skew = model_monitoring.SkewDetectionConfig(data_source="bq://p.d.t", target_field="churn")
        job = aiplatform.ModelDeploymentMonitoringJob.create(display_name="m", endpoint=endpoint,
              objective_configs=model_monitoring.ObjectiveConfig(skew_detection_config=skew))
        """
        },
    ),
    neg(
        "vertex-ai",
        "trains",
        {
            "notes.py": "'''aiplatform.CustomTrainingJob runs training.'''\n"
            "from google.cloud import storage\nstorage.Client()\n"
        },
        "docstring-and-other-google-client",
    ),
    neg(
        "vertex-ai",
        "schedules",
        {
            "run.py": """
        from google.cloud import aiplatform

        job = aiplatform.PipelineJob(display_name="train", template_path="pipeline.json")
        job.submit()
        """
        },
        "submitted-once-not-scheduled",
    ),
    # ---------------------------------------------------------------- Kubeflow / TFX
    pos(
        "kfp",
        "defines_pipeline",
        {
            "pipeline.py": """
        from kfp import dsl, compiler

        @dsl.component
        def train(epochs: int) -> str:
            return "model"

        @dsl.pipeline(name="churn")
        def churn_pipeline(epochs: int = 3):
            train(epochs=epochs)

        compiler.Compiler().compile(churn_pipeline, "pipeline.yaml")
        """
        },
        "v2",
    ),
    pos(
        "kfp",
        "defines_pipeline",
        {
            "pipeline.py": """
        import kfp.dsl as dsl

        @dsl.pipeline(name="churn", description="v1 pipeline")
        def churn_pipeline():
            dsl.ContainerOp(name="train", image="img", command=["python", "train.py"])
        """
        },
        "v1",
    ),
    pos(
        "kfp",
        "schedules",
        {
            "submit.py": """
        import kfp

        client = kfp.Client(host="http://kfp")
        client.create_recurring_run(experiment_id="e", job_name="nightly",
            cron_expression="0 0 2 * * *",
                                    pipeline_package_path="pipeline.yaml")
        """
        },
        "recurring-run",
    ),
    neg(
        "kfp",
        "defines_pipeline",
        {
            "pipeline.py": """
        from kfp import dsl

        @dsl.component
        def train() -> str:
            return "model"
        """
        },
        "component-only-is-weak",
    ),
    pos(
        "tfx",
        "trains",
        {
            "pipeline.py": """
        from tfx import v1 as tfx

        trainer = tfx.components.Trainer(module_file="trainer.py", examples=gen.outputs["examples"],
                                         train_args=tfx.proto.TrainArgs(num_steps=100))
        """
        },
    ),
    pos(
        "tfx",
        "evaluates_threshold",
        {
            "pipeline.py": """
        import tensorflow_model_analysis as tfma
        from tfx import v1 as tfx

        threshold = tfma.MetricThreshold(
            value_threshold=tfma.GenericValueThreshold(lower_bound={"value": 0.6}))
        evaluator = tfx.components.Evaluator(examples=gen.outputs["examples"],
            model=trainer.outputs["model"])
        """
        },
    ),
    pos(
        "tfx",
        "deploys",
        {
            "pipeline.py": """
        from tfx import v1 as tfx

        pusher = tfx.components.Pusher(model=trainer.outputs["model"],
            model_blessing=evaluator.outputs["blessing"],
                                       push_destination=tfx.proto.PushDestination())
        """
        },
    ),
    neg(
        "tfx",
        "trains",
        {"train.py": "import tensorflow as tf\n\nmodel = tf.keras.Sequential()\n"},
        "plain-keras-is-not-tfx",
    ),
    # ---------------------------------------------------------------- Azure ML
    pos(
        "azureml-v1",
        "registers_models",
        {
            "register.py": """
        from azureml.core import Workspace, Model

        ws = Workspace.from_config()
        Model.register(workspace=ws, model_path="model.pkl", model_name="churn")
        """
        },
    ),
    pos(
        "azureml-v1",
        "schedules",
        {
            "schedule.py": """
        from azureml.pipeline.core import Schedule, ScheduleRecurrence

        recurrence = ScheduleRecurrence(frequency="Day", interval=1)
        Schedule.create(ws, name="nightly", pipeline_id=pid, experiment_name="train",
            recurrence=recurrence)
        """
        },
    ),
    neg(
        "azureml-v1",
        "registers_models",
        {"register.py": "from azureml.core import Workspace\n\nws = Workspace.from_config()\n"},
        "workspace-only",
    ),
    pos(
        "azureml-v2",
        "defines_pipeline",
        {
            "pipeline.py": """
        from azure.ai.ml import dsl, load_component

        train = load_component(source="train.yml")

        @dsl.pipeline(compute="cpu-cluster")
        def churn(data):
            train(data=data)
        """
        },
    ),
    pos(
        "azureml-v2",
        "registers_models",
        {
            "register.py": """
        from azure.ai.ml import MLClient
        from azure.ai.ml.entities import Model

        ml_client.models.create_or_update(Model(path="model", name="churn"))
        """
        },
    ),
    pos(
        "azureml-v2",
        "schedules",
        {
            "schedule.py": """
        from azure.ai.ml.entities import JobSchedule, CronTrigger

        schedule = JobSchedule(name="nightly", trigger=CronTrigger(expression="0 2 * * *"),
            create_job=job)
        """
        },
    ),
    neg(
        "azureml-v2",
        "registers_models",
        {
            "jobs.py": """
        from azure.ai.ml import MLClient

        ml_client.jobs.create_or_update(job)
        """
        },
        "job-submission-is-not-registration",
    ),
    pos(
        "azureml-cli-v2",
        "defines_pipeline",
        {
            "pipelines/train.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
        type: pipeline
        jobs:
          train:
            type: command
            command: python train.py --data ${{inputs.data}}
        """
        },
    ),
    pos(
        "azureml-cli-v2",
        "schedules",
        {
            "schedules/nightly.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
        name: nightly
        trigger:
          type: cron
          expression: "0 2 * * *"
        create_job: ../pipelines/train.yml
        """
        },
    ),
    pos(
        "azureml-cli-v2",
        "monitors_drift",
        {
            "monitor.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
        name: drift
        trigger:
          type: recurrence
          frequency: day
          interval: 1
        create_monitor:
          compute: {instance_type: standard_e4s_v3, runtime_version: "3.3"}
          monitoring_target: {ml_task: classification, endpoint_deployment_id: azureml:churn:blue}
        """
        },
    ),
    pos(
        "azureml-cli-v2",
        "captures_predictions",
        {
            "deployment.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
        name: blue
        endpoint_name: churn
        data_collector:
          collections:
            model_inputs: {enabled: "True"}
        """
        },
    ),
    neg(
        "azureml-cli-v2",
        "defines_pipeline",
        {
            "pipelines/train.yml": """
        # $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
        # type: pipeline
        name: not-an-azureml-spec
        jobs: {}
        """
        },
        "commented-schema",
    ),
    # ---------------------------------------------------------------- Databricks
    pos(
        "databricks-bundles",
        "schedules",
        {
            "databricks.yml": """
        bundle:
          name: churn
        resources:
          jobs:
            train:
              name: train
              schedule:
                quartz_cron_expression: "0 0 2 * * ?"
                timezone_id: UTC
              tasks:
                - task_key: train
                  notebook_task: {notebook_path: ../src/train.ipynb}
        """
        },
    ),
    pos(
        "databricks-bundles",
        "defines_pipeline",
        {
            "resources/job.yml": """
        resources:
          jobs:
            train:
              tasks:
                - task_key: train
                  spark_python_task: {python_file: ../src/train.py}
        """
        },
    ),
    neg(
        "databricks-bundles",
        "schedules",
        {
            "databricks.yml": """
        bundle:
          name: churn
        resources:
          jobs:
            train:
              tasks:
                - task_key: train
                  notebook_task: {notebook_path: ../src/train.ipynb}
        """
        },
        "job-without-schedule",
    ),
    pos(
        "dbx",
        "defines_pipeline",
        {
            "conf/deployment.yml": """
        environments:
          default:
            workflows:
              - name: train
                spark_python_task: {python_file: file://train.py}
        """
        },
    ),
    neg(
        "dbx",
        "defines_pipeline",
        {"conf/deployment.yml": "# environments:\n#   default: {}\nname: x\n"},
        "commented-out",
    ),
    pos(
        "databricks-unity-catalog",
        "registers_models",
        {
            "register.py": """
        import mlflow

        mlflow.set_registry_uri("databricks-uc")
        """
        },
    ),
    neg(
        "databricks-unity-catalog",
        "registers_models",
        {
            "register.py": """
        import mlflow

        mlflow.set_registry_uri("databricks")
        """
        },
        "workspace-registry",
    ),
    pos(
        "databricks-lakehouse-monitoring",
        "monitors_drift",
        {
            "monitor.py": """
        from databricks.sdk import WorkspaceClient
        from databricks.sdk.service.catalog import MonitorInferenceLog

        w = WorkspaceClient()
        w.quality_monitors.create(table_name="main.ml.inference", assets_dir="/m",
            output_schema_name="main.ml",
                                  inference_log=MonitorInferenceLog(problem_type="PROBLEM_TYPE_CLASSIFICATION",
                                  prediction_col="p", timestamp_col="ts",
                                      granularities=["1 day"], model_id_col="m"))
        """
        },
    ),
    neg(
        "databricks-lakehouse-monitoring",
        "monitors_drift",
        {
            "jobs.py": """
        from databricks.sdk import WorkspaceClient

        w = WorkspaceClient()
        w.jobs.create(name="train")
        """
        },
        "other-sdk-call",
    ),
    pos(
        "databricks-model-serving",
        "deploys",
        {
            "serve.py": """
        from databricks.sdk import WorkspaceClient

        w = WorkspaceClient()
        w.serving_endpoints.create(name="churn", config=config)
        """
        },
    ),
    neg(
        "databricks-model-serving",
        "deploys",
        {"serve.py": "endpoints = {}\nendpoints['churn'] = 'create'\n"},
        "no-sdk",
    ),
    # ---------------------------------------------------------------- MLflow
    pos(
        "mlflow",
        "tracks_experiments",
        {
            "train.py": """
        import mlflow

        mlflow.sklearn.autolog()
        with mlflow.start_run():
            model.fit(X, y)
        """
        },
    ),
    pos(
        "mlflow",
        "registers_models",
        {
            "promote.py": """
        from mlflow import MlflowClient

        client = MlflowClient()
        client.set_registered_model_alias("churn", "champion", 3)
        """
        },
        "alias",
    ),
    pos(
        "mlflow",
        "evaluates_threshold",
        {
            "validate.py": """
        import mlflow
        from mlflow.models import MetricThreshold

        thresholds = {"accuracy_score": MetricThreshold(threshold=0.8, greater_is_better=True)}
        mlflow.evaluate(candidate_uri, data, targets="y", model_type="classifier",
                        validation_thresholds=thresholds, baseline_model=champion_uri)
        """
        },
    ),
    pos(
        "mlflow",
        "defines_pipeline",
        {"MLproject": "name: churn\nentry_points:\n  main:\n    command: python train.py\n"},
        "mlproject",
    ),
    pos(
        "mlflow",
        "evaluates_threshold",
        {
            "recipe.yaml": """
        recipe: "regression/v1"
        target_col: "fare_amount"
        steps:
          ingest: {{INGEST_CONFIG}}
          evaluate:
            validation_criteria:
              - metric: root_mean_squared_error
                threshold: 10
          register:
            allow_non_validated_model: false
        """
        },
        "recipe-validation-criteria",
    ),
    pos(
        "mlflow",
        "tracks_experiments",
        {
            "recipe.yaml": (
                'recipe: "regression/v1"\ntarget_col: "y"\nsteps:\n  train: {using: custom}\n'
            )
        },
        "recipe-logs-to-tracking",
    ),
    pos(
        "sagemaker",
        "tracks_experiments",
        {
            "pipeline.py": """
        from sagemaker.workflow.pipeline import Pipeline
        from sagemaker.workflow.steps import TrainingStep

        def build(estimator, session):
            train = TrainingStep(name="Train", estimator=estimator)
            return Pipeline(name="churn", steps=[train], sagemaker_session=session)
        """
        },
        "pipeline-executions-are-experiment-runs",
    ),
    neg(
        "sagemaker",
        "tracks_experiments",
        {
            "pipeline.py": """
        from sagemaker.workflow.steps import TrainingStep
        # Pipeline(name="churn", steps=[train])  -- never built
        """
        },
        "no-pipeline-no-tracking",
    ),
    neg(
        "mlflow",
        "evaluates_threshold",
        {
            "recipe.yaml": """
        recipe: "regression/v1"
        steps:
          evaluate:
            # validation_criteria:
            #   - metric: root_mean_squared_error
            #     threshold: 10
          register:
            allow_non_validated_model: false
        """
        },
        "recipe-criteria-commented-out",
    ),
    neg(
        "mlflow",
        "tracks_experiments",
        {
            "train.py": """
        # import mlflow
        # mlflow.start_run()
        if False:
            import mlflow
            mlflow.log_metric("acc", 1.0)
        """
        },
        "commented-and-dead",
    ),
    # ---------------------------------------------------------------- DVC, CML, GTO
    pos(
        "dvc",
        "defines_pipeline",
        {
            "dvc.yaml": """
        stages:
          train:
            cmd: python train.py
            deps: [data/train.csv]
            outs: [model.pkl]
            metrics: [metrics.json]
        """
        },
    ),
    pos(
        "dvc",
        "tracks_experiments",
        {
            "train.py": """
        from dvclive import Live

        with Live() as live:
            live.log_metric("acc", 0.9)
        """
        },
        "dvclive",
    ),
    neg(
        "dvc",
        "defines_pipeline",
        {"dvc.yaml": "# stages:\n#   train:\n#     cmd: python train.py\n"},
        "commented-out",
    ),
    pos(
        "cml",
        "tracks_experiments",
        {
            ".github/workflows/report.yml": """
        on: pull_request
        jobs:
          report:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  dvc metrics diff --md >> report.md
                  cml comment create report.md
        """
        },
        "report-is-weak",
    ),
    neg(
        "cml",
        "tracks_experiments",
        {
            ".github/workflows/report.yml": """
        on: pull_request
        jobs:
          report:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  # cml comment create report.md
                  echo done
        """
        },
        "commented-out",
    ),
    pos(
        "gto",
        "registers_models",
        {"artifacts.yaml": "churn:\n  type: model\n  path: models/churn.pkl\n"},
        "artifacts-yaml",
    ),
    neg(
        "gto",
        "registers_models",
        {"artifacts.yaml": "churn:\n  type: dataset\n  path: data/churn.csv\n"},
        "dataset-artifact",
    ),
    # ---------------------------------------------------------------- trackers
    pos(
        "wandb",
        "tracks_experiments",
        {
            "train.py": """
        import wandb

        run = wandb.init(project="churn", config={"lr": 0.01})
        wandb.log({"loss": 0.1})
        """
        },
    ),
    pos(
        "wandb",
        "tracks_experiments",
        {
            "train.py": """
        from transformers import TrainingArguments

        args = TrainingArguments(output_dir="out", report_to=["wandb"])
        """
        },
        "hf-report-to-list",
    ),
    pos(
        "mlflow",
        "tracks_experiments",
        {
            "train.py": """
        import mlflow

        if mlflow.active_run() is None:
            mlflow.start_run()
        """
        },
        "guarded-by-the-module-itself-is-not-opt-in",
    ),
    neg(
        "wandb",
        "tracks_experiments",
        {
            "train.py": """
        import wandb

        run = wandb.init(project="churn", mode="disabled")
        """
        },
        "disabled-mode",
    ),
    neg(
        "wandb",
        "tracks_experiments",
        {
            "train.py": """
        import argparse

        import wandb

        parser = argparse.ArgumentParser()
        parser.add_argument("--use-wandb", action="store_true")
        args = parser.parse_args()
        if args.use_wandb:
            wandb.init(project="churn")
        """
        },
        "opt-in-flag",
    ),
    pos(
        "comet",
        "tracks_experiments",
        {
            "train.py": """
        import comet_ml

        experiment = comet_ml.Experiment(project_name="churn")
        experiment.log_metric("acc", 0.9)
        """
        },
    ),
    neg(
        "comet",
        "tracks_experiments",
        {
            "train.py": """
        import comet_ml

        def train(args):
            if args.comet:
                experiment = comet_ml.Experiment(project_name="churn")
        """
        },
        "opt-in-flag",
    ),
    pos(
        "neptune",
        "tracks_experiments",
        {
            "train.py": """
        import neptune

        run = neptune.init_run(project="team/churn")
        run["acc"] = 0.9
        """
        },
    ),
    neg(
        "neptune",
        "tracks_experiments",
        {
            "train.py": """
        import neptune

        run = neptune.init_run(project="team/churn", mode="offline")
        """
        },
        "offline-mode",
    ),
    pos(
        "clearml",
        "tracks_experiments",
        {
            "train.py": """
        from clearml import Task

        task = Task.init(project_name="churn", task_name="train")
        """
        },
    ),
    neg(
        "clearml",
        "tracks_experiments",
        {
            "train.py": """
        from clearml import Task

        def main(cfg):
            if cfg.use_clearml:
                Task.init(project_name="churn", task_name="train")
        """
        },
        "opt-in-config",
    ),
    pos(
        "tensorboard",
        "tracks_experiments",
        {
            "train.py": """
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(log_dir="runs/exp1")
        """
        },
        "local-folder-is-weak",
    ),
    neg(
        "tensorboard",
        "tracks_experiments",
        {"train.py": "import torch\n\nmodel = torch.nn.Linear(2, 1)\n"},
        "no-writer",
    ),
    pos(
        "aim",
        "tracks_experiments",
        {"train.py": "from aim import Run\n\nrun = Run(experiment='churn')\n"},
    ),
    neg(
        "aim",
        "tracks_experiments",
        {"train.py": "aim = 'hit the target'\nprint(aim)\n"},
        "a-variable-named-aim",
    ),
    # ---------------------------------------------------------------- orchestrators
    pos(
        "zenml",
        "defines_pipeline",
        {
            "pipelines/training.py": """
        from zenml import pipeline, step

        @step
        def trainer() -> str:
            return "model"

        @pipeline
        def training():
            trainer()
        """
        },
    ),
    pos(
        "zenml",
        "registers_models",
        {
            "pipelines/training.py": """
        from zenml import Model, pipeline

        @pipeline(model=Model(name="churn", description="Model Control Plane"))
        def training():
            pass
        """
        },
        "model-control-plane",
    ),
    neg(
        "zenml",
        "defines_pipeline",
        {
            "steps/trainer.py": """
        from zenml import step

        @step
        def trainer() -> str:
            return "model"
        """
        },
        "step-only-is-weak",
    ),
    pos(
        "metaflow",
        "defines_pipeline",
        {
            "flow.py": """
        from metaflow import FlowSpec, step, schedule

        @schedule(daily=True)
        class TrainFlow(FlowSpec):
            @step
            def start(self):
                self.next(self.train)

            @step
            def train(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """
        },
    ),
    pos(
        "metaflow",
        "schedules",
        {
            "flow.py": """
        from metaflow import FlowSpec, step, schedule

        @schedule(daily=True)
        class TrainFlow(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """
        },
    ),
    pos(
        "metaflow",
        "deploys",
        {
            "flow.py": """
        from metaflow import FlowSpec, project, step

        @project(name="churn")
        class TrainFlow(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """
        },
        "project-namespace-is-weak",
    ),
    neg(
        "metaflow",
        "schedules",
        {
            "flow.py": """
        from metaflow import FlowSpec, step

        class TrainFlow(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """
        },
        "unscheduled-flow",
    ),
    pos(
        "kedro",
        "defines_pipeline",
        {
            "src/churn/pipelines/training/pipeline.py": """
        from kedro.pipeline import Pipeline, node, pipeline

        def create_pipeline(**kwargs) -> Pipeline:
            return pipeline([node(train_model, inputs=["X", "y"], outputs="model",
                name="train_model_node")])
        """
        },
    ),
    pos(
        "kedro",
        "tracks_experiments",
        {
            "conf/base/catalog.yml": """
        metrics:
          type: kedro_mlflow.io.metrics.MlflowMetricsHistoryDataset
        """
        },
        "kedro-mlflow-dataset",
    ),
    neg(
        "kedro",
        "defines_pipeline",
        {"src/churn/nodes.py": "def train_model(X, y):\n    return None\n"},
        "plain-functions",
    ),
    pos(
        "airflow",
        "schedules",
        {
            "dags/train.py": """
        from datetime import datetime

        from airflow import DAG
        from airflow.operators.python import PythonOperator

        with DAG("train", schedule="@daily", start_date=datetime(2024, 1, 1)) as dag:
            PythonOperator(task_id="train_model", python_callable=train)
        """
        },
    ),
    neg(
        "airflow",
        "schedules",
        {
            "dags/train.py": """
        from datetime import datetime

        from airflow import DAG

        with DAG("train", schedule=None, start_date=datetime(2024, 1, 1)) as dag:
            pass
        """
        },
        "schedule-none",
    ),
    pos(
        "prefect",
        "schedules",
        {
            "flows/train.py": """
        from prefect import flow

        @flow
        def train():
            pass

        if __name__ == "__main__":
            train.serve(name="nightly", cron="0 2 * * *")
        """
        },
        "serve-cron",
    ),
    pos(
        "prefect",
        "schedules",
        {
            "prefect.yaml": """
        deployments:
          - name: nightly
            entrypoint: flows/train.py:train
            schedules:
              - cron: "0 2 * * *"
        """
        },
        "prefect-yaml",
    ),
    neg(
        "prefect",
        "schedules",
        {
            "prefect.yaml": """
        deployments:
          - name: nightly
            entrypoint: flows/train.py:train
            # schedules:
            #   - cron: "0 2 * * *"
        """
        },
        "schedule-commented-out",
    ),
    pos(
        "dagster",
        "schedules",
        {
            "defs.py": """
        from dagster import ScheduleDefinition, asset, define_asset_job

        @asset
        def model():
            return 1

        train_job = define_asset_job("train_job", selection="*")
        nightly = ScheduleDefinition(job=train_job, cron_schedule="0 2 * * *")
        """
        },
    ),
    neg(
        "dagster",
        "schedules",
        {
            "defs.py": """
        from dagster import asset

        @asset
        def model():
            return 1
        """
        },
        "assets-without-schedule",
    ),
    pos(
        "flyte",
        "schedules",
        {
            "workflows.py": """
        from flytekit import CronSchedule, LaunchPlan, task, workflow

        @task
        def train() -> int:
            return 1

        @workflow
        def wf() -> int:
            return train()

        LaunchPlan.get_or_create(workflow=wf, name="nightly",
            schedule=CronSchedule(schedule="0 2 * * *"))
        """
        },
    ),
    neg(
        "flyte",
        "schedules",
        {
            "workflows.py": """
        from flytekit import LaunchPlan, workflow

        @workflow
        def wf() -> None:
            pass

        LaunchPlan.get_or_create(workflow=wf, name="manual")
        """
        },
        "launch-plan-without-schedule",
    ),
    # ---------------------------------------------------------------- Ray, Anyscale
    pos(
        "ray",
        "trains",
        {
            "train.py": """
        from ray.train import ScalingConfig
        from ray.train.torch import TorchTrainer

        trainer = TorchTrainer(train_loop, scaling_config=ScalingConfig(num_workers=2))
        result = trainer.fit()
        """
        },
        "ray-train",
    ),
    pos(
        "ray",
        "serves",
        {
            "serve.py": """
        from ray import serve

        @serve.deployment
        class Churn:
            def __call__(self, request):
                return 1

        app = Churn.bind()
        """
        },
        "ray-serve",
    ),
    neg(
        "ray",
        "serves",
        {"tasks.py": "import ray\n\n@ray.remote\ndef f():\n    return 1\n"},
        "ray-core-task",
    ),
    pos(
        "anyscale",
        "trains",
        {
            "submit.py": """
        import anyscale
        from anyscale.job.models import JobConfig

        anyscale.job.submit(JobConfig(name="train", entrypoint="python train.py"))
        """
        },
    ),
    neg(
        "anyscale",
        "trains",
        {"submit.py": "import anyscale\n\nprint(anyscale.__name__)\n"},
        "import-only",
    ),
    # ---------------------------------------------------------------- serving
    pos(
        "bentoml",
        "serves",
        {
            "service.py": """
        import bentoml

        @bentoml.service
        class Churn:
            @bentoml.api
            def predict(self, x: list) -> list:
                return x
        """
        },
    ),
    pos(
        "bentoml",
        "registers_models",
        {
            "save.py": """
        import bentoml

        bentoml.sklearn.save_model("churn", model)
        """
        },
        "local-store-is-weak",
    ),
    neg(
        "bentoml",
        "serves",
        {"README.md": "Serve with `bentoml serve service:Churn`.\n"},
        "readme-only",
    ),
    pos(
        "seldon",
        "serves",
        {
            "k8s/seldon.yaml": """
        apiVersion: machinelearning.seldon.io/v1
        kind: SeldonDeployment
        metadata: {name: churn}
        spec:
          predictors:
            - name: default
              graph: {name: classifier, implementation: SKLEARN_SERVER, modelUri: gs://b/m}
        """
        },
    ),
    neg(
        "seldon",
        "serves",
        {
            "k8s/deploy.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: churn}
        """
        },
        "plain-deployment",
    ),
    pos(
        "kserve",
        "serves",
        {
            "k8s/isvc.yaml": """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: churn}
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
              storageUri: gs://b/m
        """
        },
        "inference-service",
    ),
    pos(
        "kserve",
        "serves",
        {
            "model.py": """
        import kserve

        class Churn(kserve.Model):
            def predict(self, payload, headers=None):
                return payload

        if __name__ == "__main__":
            kserve.ModelServer().start([Churn("churn")])
        """
        },
        "custom-model",
    ),
    neg(
        "kserve",
        "serves",
        {"k8s/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: churn}\n"},
        "plain-service",
    ),
    pos(
        "torchserve",
        "serves",
        {
            "handler.py": """
        from ts.torch_handler.base_handler import BaseHandler

        class ChurnHandler(BaseHandler):
            def postprocess(self, data):
                return data.tolist()
        """
        },
    ),
    pos(
        "torchserve",
        "serves",
        {"config.properties": "inference_address=http://0.0.0.0:8080\nmodel_store=/models\n"},
        "config-properties",
    ),
    neg(
        "torchserve",
        "serves",
        {"config.properties": "db.url=jdbc:postgresql://db\n"},
        "other-properties",
    ),
    pos(
        "triton",
        "serves",
        {
            "model_repository/churn/config.pbtxt": 'name: "churn"\n'
            'platform: "onnxruntime_onnx"\nmax_batch_size: 8\n'
        },
    ),
    neg(
        "triton",
        "serves",
        {"model_repository/churn/config.pbtxt": '# platform: "onnxruntime_onnx"\n'},
        "commented-out",
    ),
    # ---------------------------------------------------------------- monitoring
    pos(
        "evidently",
        "monitors_drift",
        {
            "monitor.py": """
        from evidently import Report
        from evidently.presets import DataDriftPreset

        report = Report([DataDriftPreset()])
        result = report.run(reference_data=ref, current_data=cur)
        """
        },
    ),
    neg(
        "evidently",
        "monitors_drift",
        {"monitor.py": "'''TODO: Evidently Report(DataDriftPreset())'''\nimport pandas as pd\n"},
        "docstring-only",
    ),
    pos(
        "nannyml",
        "monitors_drift",
        {
            "monitor.py": """
        import nannyml as nml

        calc = nml.UnivariateDriftCalculator(column_names=["age"], timestamp_column_name="ts")
        calc.fit(reference)
        """
        },
    ),
    neg("nannyml", "monitors_drift", {"requirements.txt": "nannyml==0.10\n"}, "dependency-only"),
    pos(
        "whylogs",
        "monitors_drift",
        {"profile.py": "import whylogs as why\n\nresults = why.log(df)\n"},
    ),
    neg(
        "whylogs",
        "monitors_drift",
        {"profile.py": "import logging\n\nlogging.log(10, 'why')\n"},
        "stdlib-logging",
    ),
    pos(
        "alibi-detect",
        "monitors_drift",
        {
            "drift.py": """
        from alibi_detect.cd import KSDrift

        cd = KSDrift(x_ref, p_val=0.05)
        preds = cd.predict(x)
        """
        },
    ),
    neg(
        "alibi-detect",
        "monitors_drift",
        {
            "explain.py": "from alibi.explainers import AnchorTabular\n\n"
            "AnchorTabular(predict, names)\n"
        },
        "alibi-explain-is-not-drift",
    ),
    pos(
        "prometheus",
        "exports_metrics",
        {
            "app.py": """
        from prometheus_client import Counter, Histogram

        PREDICTIONS = Counter("predictions_total", "Predictions served")
        LATENCY = Histogram("prediction_seconds", "Prediction latency")
        """
        },
    ),
    neg(
        "prometheus",
        "exports_metrics",
        {"app.py": "# from prometheus_client import Counter\ncounter = 0\n"},
        "commented-out",
    ),
    pos(
        "opentelemetry",
        "exports_metrics",
        {
            "app.py": """
        from opentelemetry import metrics

        meter = metrics.get_meter("churn")
        predictions = meter.create_counter("predictions")
        """
        },
    ),
    neg(
        "opentelemetry",
        "exports_metrics",
        {"app.py": "import logging\n\nlogger = logging.getLogger('otel')\n"},
        "plain-logging",
    ),
    pos(
        "frouros",
        "monitors_drift",
        {
            "drift.py": """
        from frouros.detectors.data_drift import KSTest

        detector = KSTest()
        detector.fit(X=ref)
        """
        },
    ),
    neg("frouros", "monitors_drift", {"drift.py": "import scipy\n"}, "unrelated"),
    pos(
        "application-insights",
        "exports_metrics",
        {
            "app.py": """
        from azure.monitor.opentelemetry import configure_azure_monitor

        configure_azure_monitor(connection_string="InstrumentationKey=x")
        """
        },
    ),
    neg(
        "application-insights",
        "exports_metrics",
        {"app.py": "import azure.storage.blob\n"},
        "other-azure-sdk",
    ),
    pos(
        "datadog",
        "exports_metrics",
        {"app.py": "from datadog import statsd\n\nstatsd.increment('predictions')\n"},
    ),
    neg("datadog", "exports_metrics", {"app.py": "DATADOG = False\n"}, "a-constant"),
    # ---------------------------------------------------------------- data quality, features
    pos(
        "great-expectations",
        "validates_data",
        {
            "validate.py": """
        import great_expectations as gx

        context = gx.get_context()
        batch = context.data_sources.pandas_default.read_csv("data.csv")
        batch.validate(gx.expectations.ExpectColumnValuesToNotBeNull(column="id"))
        """
        },
    ),
    neg(
        "great-expectations",
        "validates_data",
        {"great_expectations.yml": "config_version: 3\n"},
        "project-config-only-is-weak",
    ),
    pos(
        "pandera",
        "validates_data",
        {
            "schema.py": """
        import pandera as pa

        class Churn(pa.DataFrameModel):
            age: int = pa.Field(ge=0)
        """
        },
    ),
    neg(
        "pandera",
        "validates_data",
        {"schema.py": "import pandas as pd\n\ndf = pd.DataFrame()\n"},
        "no-schema",
    ),
    pos(
        "deepchecks",
        "validates_data",
        {
            "checks.py": """
        from deepchecks.tabular.suites import data_integrity

        result = data_integrity().run(ds)
        """
        },
    ),
    neg(
        "deepchecks",
        "validates_data",
        {"checks.py": "import deepchecks\n\nprint(deepchecks.__version__)\n"},
        "import-only",
    ),
    pos(
        "feast",
        "defines_pipeline",
        {
            "features.py": """
        from feast import Entity, FeatureView, Field

        customer = Entity(name="customer", join_keys=["customer_id"])
        churn_features = FeatureView(name="churn", entities=[customer], schema=[])
        """
        },
        "feature-view-is-weak",
    ),
    neg(
        "feast",
        "defines_pipeline",
        {"feature_store.yaml": "# project: churn\n# registry: data/registry.db\n"},
        "commented-config",
    ),
]

#: Fixtures whose match is found, but weak by design (opt-in, local, a step or report).
WEAK_POSITIVES = {
    ("cml", "report-is-weak"),
    ("tensorboard", "local-folder-is-weak"),
    ("bentoml", "local-store-is-weak"),
    ("feast", "feature-view-is-weak"),
    ("metaflow", "project-namespace-is-weak"),
}
#: Negatives that still match, weakly (the capability is there, but switched off/opt-in).
WEAK_NEGATIVES = {
    ("wandb", "disabled-mode"),
    ("wandb", "opt-in-flag"),
    ("comet", "opt-in-flag"),
    ("neptune", "offline-mode"),
    ("clearml", "opt-in-config"),
    ("kfp", "component-only-is-weak"),
    ("zenml", "step-only-is-weak"),
    ("great-expectations", "project-config-only-is-weak"),
}


def _of(found: list[Match], tech: str) -> list[Match]:
    return [m for m in found if m.tech == tech]


@pytest.mark.parametrize(
    "fx",
    FIXTURES,
    ids=lambda f: f"{f.tech}-{f.capability}-{'pos' if f.positive else 'neg'}-{f.label}",
)
def test_technology_fixture(tmp_path: Path, fx: Fixture) -> None:
    build_tree(tmp_path, fx.tree)
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    found = _of(matches(snap, fx.capability), fx.tech)
    key = (fx.tech, fx.label)
    if fx.positive:
        assert found, f"{fx.tech} should show {fx.capability}"
        assert all(m.evidence.path for m in found)
        assert found[0].evidence.note.startswith(catalog().get(fx.tech).name)
        expect_weak = key in WEAK_POSITIVES
        assert any(m.evidence.weak is expect_weak for m in found), [m.evidence for m in found]
    elif key in WEAK_NEGATIVES:
        assert found and all(m.evidence.weak for m in found), [m.evidence for m in found]
    else:
        assert found == [], [m.evidence for m in found]


def test_every_technology_has_a_positive_and_a_negative_fixture() -> None:
    for tech in catalog().technologies:
        kinds = {f.positive for f in FIXTURES if f.tech == tech.id}
        assert kinds == {True, False}, tech.id


def test_git_tags_register_models_gto(tmp_path: Path) -> None:
    from mlops_factory._assess._gitfacts import GitFacts

    build_tree(tmp_path, {"README.md": "churn\n"})
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    snap.git = GitFacts(None, "main", 1, None, ("churn@v1.0.0", "churn#prod#1"), ("main",))
    found = _of(matches(snap, "registers_models"), "gto")
    assert found and "churn@v1.0.0" in found[0].evidence.note
    assert _of(matches(snap, "deploys"), "gto")
    plain = RepoSnapshot.open(tmp_path, with_git=False)
    plain.git = GitFacts(None, "main", 1, None, ("v1.0.0",), ("main",))
    assert _of(matches(plain, "registers_models"), "gto") == []


# ------------------------------------------------------------------ a negative per recogniser


def _recognisers() -> list[tuple[str, int, object]]:
    return [
        (tech.id, i, rec)
        for tech in catalog().technologies
        for i, rec in enumerate(tech.recognisers)
        if rec.python is not None
        or (rec.files is not None and (rec.files.keys or rec.files.kind or rec.files.pattern))
    ]


def _concrete(name: str) -> str:
    return name.replace("*", "x")


@pytest.mark.parametrize(
    ("tech_id", "index", "rec"),
    _recognisers(),
    ids=lambda v: str(v) if isinstance(v, str | int) else "",
)
def test_every_recogniser_ignores_mentions_and_commented_config(
    tmp_path: Path, tech_id: str, index: int, rec: Recogniser
) -> None:
    """Names in docstrings, comments and strings, or a spec whose lines are commented out,
    show nothing."""
    if rec.python is not None:
        py = rec.python
        names = [*py.imports, *py.calls, *py.decorators, *py.bases, *py.methods, *py.within]
        text = (
            '"""Uses '
            + ", ".join(names)
            + '."""\n'
            + "".join(f"# {n}()\n" for n in names)
            + f"MENTIONS = {names!r}\n"
        )
        tree = {"src/mentions.py": text}
    else:
        assert rec.files is not None
        f = rec.files
        body = [*(f"{k}: x" for k in f.keys), *([f"kind: {f.kind}"] if f.kind else [])]
        body += [f"$schema: {f.schema_}"] if f.schema_ else []
        body += [f"pattern {f.pattern}"] if f.pattern else []
        tree = {_concrete(n): "".join(f"# {line}\n" for line in body) for n in f.names}
    build_tree(tmp_path, tree)
    snap = RepoSnapshot.open(tmp_path, with_git=False)
    assert _of(matches(snap, rec.capability), tech_id) == []
