"""Pipelines as step graphs, and the release-path signals read from them: pipeline_gate,
automated_promotion, scheduled_pipeline, production_metrics (and training_code through a
managed train step). Fixtures are written from each orchestrator's documented API."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_factory._assess.model import SignalResult
from mlops_factory._assess.signals import registry
from mlops_factory._assess.signals._graph import PipelineGraph, kind_of, pipelines
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree


def snap_of(root: Path, tree: dict[str, str]) -> RepoSnapshot:
    build_tree(root, tree)
    return RepoSnapshot.open(root, with_git=False)


def signal(root: Path, tree: dict[str, str], name: str) -> SignalResult:
    return registry()[name].fn(snap_of(root, tree))


def only(graphs: tuple[PipelineGraph, ...], framework: str) -> PipelineGraph:
    found = [g for g in graphs if g.framework == framework]
    assert len(found) == 1, graphs
    return found[0]


SAGEMAKER = {
    "pipelines/churn/pipeline.py": """
        from sagemaker.estimator import Estimator
        from sagemaker.processing import ScriptProcessor
        from sagemaker.workflow.condition_step import ConditionStep
        from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo
        from sagemaker.workflow.parameters import ParameterString
        from sagemaker.workflow.pipeline import Pipeline
        from sagemaker.workflow.step_collections import RegisterModel
        from sagemaker.workflow.steps import ProcessingStep, TrainingStep


        def get_pipeline(role):
            approval = ParameterString(name="ModelApprovalStatus",
                default_value="PendingManualApproval")
            step_process = ProcessingStep(name="PreprocessData", processor=processor,
                code="preprocess.py")
            xgb = Estimator(image_uri=image, role=role, instance_count=1,
                instance_type="ml.m5.xlarge")
            step_train = TrainingStep(name="TrainModel", estimator=xgb)
            step_eval = ProcessingStep(name="EvaluateModel", processor=processor,
                code="evaluate.py")
            step_register = RegisterModel(name="RegisterModel", estimator=xgb,
                                          model_package_group_name="churn",
                                              approval_status=approval)
            step_cond = ConditionStep(name="CheckAUC",
                                      conditions=[ConditionGreaterThanOrEqualTo(left=auc,
                                          right=0.8)],
                                      if_steps=[step_register], else_steps=[])
            return Pipeline(name="churn", parameters=[approval],
                            steps=[step_process, step_train, step_eval, step_cond])
        """
}


def test_sagemaker_pipeline_steps_and_kinds(tmp_path: Path) -> None:
    g = only(pipelines(snap_of(tmp_path, SAGEMAKER)), "sagemaker")
    kinds = {s.name: s.kind for s in g.steps}
    assert kinds["PreprocessData"] == "data"
    assert kinds["TrainModel"] == "train"
    assert kinds["EvaluateModel"] == "evaluate"
    assert kinds["CheckAUC"] == "gate"
    assert kinds["RegisterModel"] == "register"
    assert "ModelApprovalStatus" not in kinds  # a parameter, not a step
    assert g.triggers == ()


def test_a_managed_train_step_is_training_without_fit(tmp_path: Path) -> None:
    res = signal(tmp_path, SAGEMAKER, "training_code")
    assert res.found and not res.weak
    assert any("SageMaker" in e.note or "train" in e.note for e in res.evidence)


def test_sagemaker_condition_step_is_a_gate_and_registration_is_not_promotion(
    tmp_path: Path,
) -> None:
    snap = snap_of(tmp_path, SAGEMAKER)
    gate = registry()["pipeline_gate"].fn(snap)
    assert gate.found and not gate.weak
    assert gate.evidence[0].path == "pipelines/churn/pipeline.py"
    promo = registry()["automated_promotion"].fn(snap)
    assert promo.found is False


def test_kfp_pipeline_steps_from_component_calls(tmp_path: Path) -> None:
    tree = {
        "pipeline.py": """
            from kfp import dsl


            @dsl.component
            def prepare_data() -> str:
                return "d"


            @dsl.component
            def train_model(data: str) -> str:
                return "m"


            @dsl.component
            def deploy_model(model: str):
                pass


            @dsl.pipeline(name="churn")
            def churn(min_auc: float = 0.8):
                data = prepare_data()
                model = train_model(data=data.output)
                with dsl.If(model.output == "good"):
                    deploy_model(model=model.output)
            """
    }
    snap = snap_of(tmp_path, tree)
    g = only(pipelines(snap), "kfp")
    assert [(s.name, s.kind) for s in g.steps] == [
        ("prepare_data", "data"),
        ("train_model", "train"),
        ("If", "gate"),
        ("deploy_model", "deploy"),
    ]
    assert registry()["pipeline_gate"].fn(snap).found
    promo = registry()["automated_promotion"].fn(snap)
    assert promo.found and not promo.weak
    assert "deploy_model" in promo.evidence[0].note


def test_tfx_evaluator_gates_and_pusher_deploys(tmp_path: Path) -> None:
    tree = {
        "pipeline.py": """
            from tfx import v1 as tfx


            def create_pipeline(root):
                gen = tfx.components.CsvExampleGen(input_base="data")
                trainer = tfx.components.Trainer(module_file="t.py",
                    examples=gen.outputs["examples"])
                evaluator = tfx.components.Evaluator(examples=gen.outputs["examples"],
                                                     model=trainer.outputs["model"])
                pusher = tfx.components.Pusher(model=trainer.outputs["model"],
                                               model_blessing=evaluator.outputs["blessing"])
                return tfx.dsl.Pipeline(pipeline_name="churn", pipeline_root=root,
                                        components=[gen, trainer, evaluator, pusher])
            """
    }
    g = only(pipelines(snap_of(tmp_path, tree)), "tfx")
    assert {s.kind for s in g.steps} >= {"train", "gate", "deploy"}


def test_azureml_pipeline_yaml_and_its_schedule(tmp_path: Path) -> None:
    tree = {
        "pipelines/train.yml": """
            $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
            type: pipeline
            jobs:
              prep_data:
                type: command
                command: python prep.py --out ${{outputs.data}}
              train_model:
                type: command
                command: python train.py
              register_model:
                type: command
                command: python register.py
            """,
        "schedules/nightly.yml": """
            $schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
            name: nightly
            trigger:
              type: cron
              expression: "0 2 * * *"
            create_job: ../pipelines/train.yml
            """,
    }
    snap = snap_of(tmp_path, tree)
    g = only(pipelines(snap), "azureml-cli-v2")
    assert [s.kind for s in g.steps] == ["data", "train", "register"]
    assert [t.kind for t in g.triggers] == ["schedule"]
    res = registry()["scheduled_pipeline"].fn(snap)
    assert res.found and not res.weak
    assert res.evidence[0].path == "schedules/nightly.yml"


def test_a_schedule_of_a_pipeline_that_does_not_train_is_weak(tmp_path: Path) -> None:
    tree = {
        "pipelines/drift.yml": """
            $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
            type: pipeline
            jobs:
              data_drift_step:
                type: command
                command: python drift.py
            """,
        "schedules/drift.yml": """
            $schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
            name: drift
            trigger: {type: cron, expression: "0 0 * * 0"}
            create_job: ../pipelines/drift.yml
            """,
        "src/train.py": "from sklearn.linear_model import LogisticRegression\n"
        "LogisticRegression().fit(X, y)\n",
    }
    res = signal(tmp_path, tree, "scheduled_pipeline")
    assert res.found and res.weak
    assert "no training step" in res.evidence[0].note


def test_databricks_job_tasks_and_paused_schedule(tmp_path: Path) -> None:
    tree = {
        "databricks.yml": """
            bundle: {name: churn}
            resources:
              jobs:
                retrain:
                  name: retrain
                  schedule:
                    quartz_cron_expression: "0 0 2 * * ?"
                    timezone_id: UTC
                    pause_status: PAUSED
                  tasks:
                    - task_key: featurize
                      notebook_task: {notebook_path: ../notebooks/features}
                    - task_key: train
                      depends_on: [{task_key: featurize}]
                      spark_python_task: {python_file: ../src/train.py}
            """
    }
    snap = snap_of(tmp_path, tree)
    g = only(pipelines(snap), "databricks-bundles")
    assert [(s.name, s.kind) for s in g.steps] == [("featurize", "data"), ("train", "train")]
    assert [t.evidence.weak for t in g.triggers] == [True]
    res = registry()["scheduled_pipeline"].fn(snap)
    assert res.found and res.weak


def test_a_pipeline_data_step_is_a_data_pipeline(tmp_path: Path) -> None:
    res = signal(tmp_path, SAGEMAKER, "data_pipeline")
    assert res.found and not res.weak
    assert "PreprocessData" in res.evidence[0].note


def test_dvc_stages(tmp_path: Path) -> None:
    tree = {
        "dvc.yaml": """
            stages:
              prepare:
                cmd: python src/prepare.py
              train:
                cmd: python src/train.py
              evaluate:
                cmd: python src/evaluate.py
            """
    }
    g = only(pipelines(snap_of(tmp_path, tree)), "dvc")
    assert [s.kind for s in g.steps] == ["data", "train", "evaluate"]


def test_airflow_dag_with_a_schedule_that_trains(tmp_path: Path) -> None:
    tree = {
        "dags/retrain.py": """
            from datetime import datetime

            from airflow import DAG
            from airflow.operators.python import PythonOperator

            with DAG("retrain", schedule="@weekly", start_date=datetime(2024, 1, 1)) as dag:
                extract = PythonOperator(task_id="extract_data", python_callable=extract_fn)
                train = PythonOperator(task_id="train_model", python_callable=train_fn)
                extract >> train
            """
    }
    snap = snap_of(tmp_path, tree)
    g = only(pipelines(snap), "airflow")
    assert {s.kind for s in g.steps} == {"data", "train"}
    res = registry()["scheduled_pipeline"].fn(snap)
    assert res.found and not res.weak


def test_airflow_dag_without_schedule_is_not_scheduled(tmp_path: Path) -> None:
    tree = {
        "dags/retrain.py": """
            from datetime import datetime

            from airflow import DAG
            from airflow.operators.python import PythonOperator

            with DAG("retrain", schedule=None, start_date=datetime(2024, 1, 1)) as dag:
                PythonOperator(task_id="train_model", python_callable=train_fn)
            """
    }
    assert signal(tmp_path, tree, "scheduled_pipeline").found is False


def test_prefect_flow_served_on_a_cron(tmp_path: Path) -> None:
    tree = {
        "flows/retrain.py": """
            from prefect import flow, task


            @task
            def load_data():
                return 1


            @task
            def train_model(data):
                return 2


            @flow
            def retrain():
                train_model(load_data())


            if __name__ == "__main__":
                retrain.serve(name="weekly", cron="0 0 * * 0")
            """
    }
    snap = snap_of(tmp_path, tree)
    g = only(pipelines(snap), "prefect")
    assert {s.kind for s in g.steps} == {"data", "train"}
    assert g.triggers
    res = registry()["scheduled_pipeline"].fn(snap)
    assert res.found and not res.weak


def test_zenml_pipeline_steps(tmp_path: Path) -> None:
    tree = {
        "pipelines/training.py": """
            from zenml import pipeline

            from steps import data_loader, model_evaluator, model_promoter, model_trainer


            @pipeline
            def training():
                df = data_loader()
                model = model_trainer(df)
                model_evaluator(model)
                model_promoter(model)
            """
    }
    g = only(pipelines(snap_of(tmp_path, tree)), "zenml")
    assert [s.kind for s in g.steps] == ["data", "train", "evaluate", "register"]


def test_kedro_nodes(tmp_path: Path) -> None:
    tree = {
        "src/churn/pipelines/ds/pipeline.py": """
            from kedro.pipeline import Pipeline, node, pipeline

            from .nodes import evaluate_model, split_data, train_model


            def create_pipeline(**kwargs) -> Pipeline:
                return pipeline([
                    node(split_data, inputs="table", outputs=["X", "y"], name="split_data_node"),
                    node(train_model, inputs=["X", "y"], outputs="model", name="train_model_node"),
                    node(evaluate_model, inputs="model", outputs=None, name="evaluate_model_node"),
                ])
            """
    }
    g = only(pipelines(snap_of(tmp_path, tree)), "kedro")
    assert [s.kind for s in g.steps] == ["data", "train", "evaluate"]


def test_metaflow_steps_and_schedule(tmp_path: Path) -> None:
    tree = {
        "flow.py": """
            from metaflow import FlowSpec, schedule, step


            @schedule(weekly=True)
            class RetrainFlow(FlowSpec):
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
    }
    snap = snap_of(tmp_path, tree)
    g = only(pipelines(snap), "metaflow")
    assert [s.name for s in g.steps if s.kind == "train"] == ["train"]
    assert g.triggers
    res = registry()["scheduled_pipeline"].fn(snap)
    assert res.found and not res.weak


# ------------------------------------------------------------------ gate and promotion in code


def test_registration_guarded_by_a_metric_is_a_gate_and_alias_set_is_promotion(
    tmp_path: Path,
) -> None:
    tree = {
        "src/promote.py": """
            import mlflow
            from mlflow import MlflowClient

            MIN_AUC = 0.8


            def promote(run_id, auc):
                if auc >= MIN_AUC:
                    version = mlflow.register_model(f"runs:/{run_id}/model", "churn")
                    MlflowClient().set_registered_model_alias("churn", "champion", version.version)
            """
    }
    snap = snap_of(tmp_path, tree)
    gate = registry()["pipeline_gate"].fn(snap)
    assert gate.found and not gate.weak
    assert "metric check" in gate.evidence[0].note
    promo = registry()["automated_promotion"].fn(snap)
    assert promo.found and not promo.weak
    assert "'champion'" in promo.evidence[0].note


def test_vertex_production_alias_is_promotion(tmp_path: Path) -> None:
    tree = {
        "components/bless.py": """
            from google.cloud import aiplatform


            def bless(resource_name, version_id):
                registry = aiplatform.models.ModelRegistry(resource_name)
                registry.add_version_aliases(new_aliases=["production"], version=version_id)
            """
    }
    res = signal(tmp_path, tree, "automated_promotion")
    assert res.found and not res.weak
    assert "'production'" in res.evidence[0].note


def test_registration_alone_is_neither_gate_nor_promotion(tmp_path: Path) -> None:
    tree = {
        "src/register.py": """
            import mlflow

            mlflow.register_model("runs:/abc/model", "churn")
            """
    }
    snap = snap_of(tmp_path, tree)
    assert registry()["pipeline_gate"].fn(snap).found is False
    assert registry()["automated_promotion"].fn(snap).found is False


def test_promotion_in_a_test_does_not_count(tmp_path: Path) -> None:
    tree = {
        "tests/test_promote.py": """
            from mlflow import MlflowClient


            def test_alias():
                MlflowClient().set_registered_model_alias("churn", "champion", 1)
            """
    }
    assert signal(tmp_path, tree, "automated_promotion").found is False


def test_a_manual_deploy_script_is_weak_promotion(tmp_path: Path) -> None:
    tree = {
        "deploy.py": """
            import sagemaker

            predictor = model.deploy(initial_instance_count=1, instance_type="ml.m5.large")
            """
    }
    res = signal(tmp_path, tree, "automated_promotion")
    assert res.found and res.weak


def test_mlflow_evaluate_with_thresholds_is_a_gate(tmp_path: Path) -> None:
    tree = {
        "src/validate.py": """
            import mlflow
            from mlflow.models import MetricThreshold

            mlflow.evaluate(candidate, data, targets="y", model_type="classifier",
                            validation_thresholds={"f1_score": MetricThreshold(threshold=0.7)})
            """
    }
    assert signal(tmp_path, tree, "pipeline_gate").found


# ------------------------------------------------------------------ production metrics


@pytest.mark.parametrize(
    ("tree", "found", "weak"),
    [
        (
            {
                "monitor.py": """
                    from sagemaker.model_monitor import DefaultModelMonitor

                    DefaultModelMonitor(role="r", instance_count=1, instance_type="ml.m5.xlarge")
                    """
            },
            True,
            False,
        ),
        (
            {
                "app.py": """
                    from fastapi import FastAPI
                    from prometheus_client import Counter

                    app = FastAPI()
                    PREDICTIONS = Counter("predictions_total", "Predictions")


                    @app.post("/predict")
                    def predict(x: list[float]):
                        PREDICTIONS.inc()
                        return {"y": model.predict([x]).tolist()}
                    """
            },
            True,
            False,
        ),
        (
            {
                "app.py": """
                    from fastapi import FastAPI
                    from prometheus_client import Histogram

                    app = FastAPI()
                    LATENCY = Histogram("request_latency_seconds", "Request latency")


                    @app.post("/predict")
                    def predict(x: list[float]):
                        return {"y": model.predict([x]).tolist()}
                    """
            },
            True,
            True,
        ),
        (
            {
                "worker.py": """
                    from prometheus_client import Counter

                    JOBS = Counter("jobs_total", "Jobs")
                    """
            },
            True,
            True,
        ),
        (
            {
                "drift.py": """
                    from evidently import Report
                    from evidently.presets import DataDriftPreset

                    Report([DataDriftPreset()]).run(reference_data=a, current_data=b)
                    """
            },
            True,
            True,
        ),
        ({"README.md": "We monitor the model with SageMaker Model Monitor.\n"}, False, False),
    ],
    ids=[
        "platform-monitor",
        "model-metrics-in-the-service",
        "service-health-only",
        "telemetry-elsewhere",
        "library",
        "claim",
    ],
)
def test_production_metrics(tmp_path: Path, tree: dict[str, str], found: bool, weak: bool) -> None:
    res = signal(tmp_path, tree, "production_metrics")
    assert res.found is found
    assert res.weak is weak


def test_step_names_map_to_kinds() -> None:
    assert kind_of("validate_model") == "gate"
    assert kind_of("validate_data") == "validate"
    assert kind_of("train") == "train"
    assert kind_of("push_to_endpoint") == "deploy"
    assert kind_of("start") is None
