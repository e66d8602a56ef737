"""IaC as a resource graph: for each format, a monitoring alarm that starts retraining and
one that starts nothing; prediction capture, model monitoring and gradual rollout."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from mlops_factory._assess.collect.iac import load_iac, strip_helm
from mlops_factory._assess.collect.iacquery import gradual_rollout
from mlops_factory._assess.signals import ci as ci_signals
from mlops_factory._assess.signals import infra
from mlops_factory._assess.snapshot import RepoSnapshot
from tests.helpers import build_tree

Tree = dict[str, str]


def snap_of(root: Path, tree: Tree) -> RepoSnapshot:
    build_tree(root, tree)
    return RepoSnapshot.open(root, with_git=False)


CFN_YAML = """
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      DriftAlarm:
        Type: AWS::CloudWatch::Alarm
        Properties:
          Namespace: {namespace}
          MetricName: {metric}
          ComparisonOperator: GreaterThanThreshold
          Threshold: 0.2
          EvaluationPeriods: 1
          Period: 3600
          Statistic: Maximum
      RetrainRule:
        Type: AWS::Events::Rule
        Properties:
          EventPattern:
            source: [aws.cloudwatch]
            detail-type: [CloudWatch Alarm State Change]
            resources: [!GetAtt DriftAlarm.Arn]
          Targets:
            - Id: {target_id}
              Arn: !Sub "arn:aws:sagemaker:${{AWS::Region}}:111:pipeline/${{TrainingPipeline}}"
              RoleArn: !GetAtt EventsRole.Arn
              {target_extra}
      TrainingPipeline:
        Type: AWS::SageMaker::Pipeline
        Properties:
          PipelineName: churn-training
          RoleArn: !GetAtt EventsRole.Arn
          PipelineDefinition:
            PipelineDefinitionBody: '{{"Steps": [{{"Type": "Training"}}]}}'
      EventsRole:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument: {{}}
    """


def cfn_yaml(loop: bool) -> Tree:
    extra = "SageMakerPipelineParameters: {PipelineParameterList: []}" if loop else ""
    body = CFN_YAML.format(
        namespace="aws/sagemaker/Endpoints/data-metrics" if loop else "AWS/EC2",
        metric="feature_baseline_drift_total_amount" if loop else "CPUUtilization",
        target_id="Retrain" if loop else "Notify",
        target_extra=extra,
    )
    if not loop:
        body = body.replace("Arn: !Sub", "Arn: !Ref OpsTopic\n              Comment: !Sub")
        body = body.replace(
            "  TrainingPipeline:\n        Type: AWS::SageMaker::Pipeline",
            "  TrainingPipeline:\n        Type: AWS::SNS::Topic",
        )
    return {"infra/template.yaml": body}


def cfn_json(loop: bool) -> Tree:
    resources: dict[str, object] = {
        "ModelQualityAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "Namespace": "aws/sagemaker/Endpoints/model-metrics" if loop else "AWS/Lambda",
                "MetricName": "model_quality_accuracy" if loop else "Errors",
                "AlarmActions": [{"Ref": "AlarmTopic"}],
            },
        },
        "AlarmTopic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "RetrainFunction": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Code": {
                    "ZipFile": (
                        "import boto3\n"
                        "def handler(event, context):\n"
                        "    boto3.client('sagemaker').start_pipeline_execution(\n"
                        "        PipelineName='model-training')\n"
                    )
                    if loop
                    else "def handler(event, context):\n    print(event)\n"
                },
            },
        },
        "Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "AlarmTopic"},
                "Protocol": "lambda",
                "Endpoint": {"Fn::GetAtt": ["RetrainFunction", "Arn"]},
            },
        },
    }
    doc = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    return {"cloudformation/stack.json": json.dumps(doc, indent=2)}


TERRAFORM = """
    resource "aws_cloudwatch_metric_alarm" "drift" {{
      alarm_name  = "{alarm}"
      namespace   = "{namespace}"
      metric_name = "{metric}"
      threshold   = 0.2
      comparison_operator = "GreaterThanThreshold"
      evaluation_periods  = 1
    }}

    resource "aws_cloudwatch_event_rule" "alarm" {{
      name = "on-alarm"
      event_pattern = jsonencode({{
        source    = ["aws.cloudwatch"]
        resources = [aws_cloudwatch_metric_alarm.drift.arn]
      }})
    }}

    resource "aws_cloudwatch_event_target" "retrain" {{
      rule     = aws_cloudwatch_event_rule.alarm.name
      arn      = {target}.arn
      role_arn = "arn:aws:iam::123456789012:role/events"
      {block}
    }}

    resource "aws_sagemaker_pipeline" "training" {{
      pipeline_name         = "model-training"
      pipeline_display_name = "model-training"
      role_arn              = "arn:aws:iam::123456789012:role/sagemaker"
      pipeline_definition   = jsonencode({{ Version = "2020-12-01", Steps = [] }})
    }}

    resource "aws_sns_topic" "ops" {{
      name = "ops-email"
    }}
    """


def terraform(loop: bool) -> Tree:
    body = TERRAFORM.format(
        alarm="model-drift" if loop else "high-cpu",
        namespace="aws/sagemaker/Endpoints/data-metrics" if loop else "AWS/EC2",
        metric="feature_baseline_drift_total" if loop else "CPUUtilization",
        target="aws_sagemaker_pipeline.training" if loop else "aws_sns_topic.ops",
        block="sagemaker_pipeline_target {}" if loop else "",
    )
    return {"terraform/main.tf": body}


def terraform_gcp(loop: bool) -> Tree:
    code = (
        """
        from google.cloud import aiplatform

        def main(event, context):
            job = aiplatform.PipelineJob(
                display_name="retrain",
                template_path="gs://bucket/pipelines/train.json",
            )
            job.submit()
        """
        if loop
        else """
        def main(event, context):
            print("alert received", event)
        """
    )
    return {
        "terraform/main.tf": """
            resource "google_pubsub_topic" "retrain" {
              name = "model-retrain"
            }

            resource "google_monitoring_notification_channel" "drift" {
              display_name = "Model drift to retraining"
              type         = "pubsub"
              labels = {
                topic = google_pubsub_topic.retrain.id
              }
            }

            data "archive_file" "source" {
              type        = "zip"
              source_dir  = "${path.module}/../functions/retrain"
              output_path = "${path.module}/retrain.zip"
            }

            resource "google_storage_bucket_object" "zip" {
              name   = "retrain.zip"
              bucket = "functions"
              source = data.archive_file.source.output_path
            }

            resource "google_cloudfunctions2_function" "retrain" {
              name     = "retrain"
              location = "europe-west1"
              build_config {
                runtime     = "python312"
                entry_point = "main"
                source {
                  storage_source {
                    bucket = "functions"
                    object = google_storage_bucket_object.zip.name
                  }
                }
              }
              event_trigger {
                event_type   = "google.cloud.pubsub.topic.v1.messagePublished"
                pubsub_topic = google_pubsub_topic.retrain.id
              }
            }
            """,
        "functions/retrain/main.py": code,
    }


def arm(loop: bool) -> Tree:
    workflow = {
        "type": "Microsoft.Logic/workflows",
        "apiVersion": "2019-05-01",
        "name": "retrain-app",
        "properties": {
            "definition": {
                "actions": {
                    "Submit": {
                        "type": "Http",
                        "inputs": {
                            "method": "POST",
                            "uri": (
                                "https://ml.azure.com/api/pipelineEndpoints/retrain"
                                if loop
                                else "https://hooks.example.com/notify"
                            ),
                            "body": {"ExperimentName": "model-retraining"},
                        },
                    }
                }
            }
        },
    }
    doc = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/"
        "deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Insights/metricAlerts",
                "apiVersion": "2018-03-01",
                "name": "drift-alert",
                "properties": {
                    "criteria": {"allOf": [{"metricName": "data_drift_coefficient"}]},
                    "actions": [
                        {
                            "actionGroupId": "[resourceId('Microsoft.Insights/actionGroups', "
                            "'retrain-group')]"
                        }
                    ],
                },
            },
            {
                "type": "Microsoft.Insights/actionGroups",
                "apiVersion": "2023-01-01",
                "name": "retrain-group",
                "properties": {
                    "logicAppReceivers": [
                        {
                            "name": "retrain",
                            "resourceId": "[resourceId('Microsoft.Logic/workflows', "
                            "'retrain-app')]",
                        }
                    ]
                },
            },
            workflow,
        ],
    }
    return {"infra/azuredeploy.json": json.dumps(doc, indent=2)}


def bicep(loop: bool) -> Tree:
    uri = (
        "https://ml.azure.com/api/pipelineEndpoints/${pipelineId}"
        if loop
        else "https://hooks.example.com/notify"
    )
    return {
        "infra/main.bicep": f"""
            param pipelineId string

            resource retrain 'Microsoft.Logic/workflows@2019-05-01' = {{
              name: 'model-retraining-app'
              location: resourceGroup().location
              properties: {{
                definition: {{
                  actions: {{
                    Submit: {{
                      type: 'Http'
                      inputs: {{
                        method: 'POST'
                        uri: '{uri}'
                      }}
                    }}
                  }}
                }}
              }}
            }}

            resource group 'Microsoft.Insights/actionGroups@2023-01-01' = {{
              name: 'retrain-group'
              location: 'global'
              properties: {{
                logicAppReceivers: [
                  {{
                    name: 'retrain'
                    resourceId: retrain.id
                    callbackUrl: retrain.listCallbackUrl().value
                  }}
                ]
              }}
            }}

            resource alert 'Microsoft.Insights/metricAlerts@2018-03-01' = {{
              name: 'model-drift-alert'
              location: 'global'
              properties: {{
                criteria: {{
                  allOf: [
                    {{
                      metricName: 'data_drift_coefficient'
                    }}
                  ]
                }}
                actions: [
                  {{
                    actionGroupId: group.id
                  }}
                ]
              }}
            }}
            """
    }


def kubernetes(loop: bool) -> Tree:
    command = "[python, train.py]" if loop else "[echo, alert]"
    return {
        "k8s/retrain.yaml": f"""
            apiVersion: argoproj.io/v1alpha1
            kind: EventSource
            metadata:
              name: model-alerts
            spec:
              webhook:
                drift-alert:
                  port: "12000"
                  endpoint: /model-drift
                  method: POST
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: Sensor
            metadata:
              name: retrain-on-drift
            spec:
              dependencies:
                - name: drift
                  eventSourceName: model-alerts
                  eventName: drift-alert
              triggers:
                - template:
                    name: retrain
                    argoWorkflow:
                      operation: submit
                      source:
                        resource:
                          apiVersion: argoproj.io/v1alpha1
                          kind: Workflow
                          metadata:
                            generateName: retrain-
                          spec:
                            workflowTemplateRef:
                              name: training
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: WorkflowTemplate
            metadata:
              name: training
            spec:
              entrypoint: train
              templates:
                - name: train
                  container:
                    image: trainer:1
                    command: {command}
            """
    }


def helm(loop: bool) -> Tree:
    tree = kubernetes(loop)
    text = tree.pop("k8s/retrain.yaml")
    text = text.replace("image: trainer:1", "image: {{ .Values.image }}")
    text = text.replace('port: "12000"', 'port: "{{ .Values.port }}"')
    text = (
        "{{- if .Values.retraining.enabled }}\n" + textwrap.dedent(text).strip() + "\n{{- end }}\n"
    )
    return {
        "chart/Chart.yaml": "apiVersion: v2\nname: model\nversion: 0.1.0\n",
        "chart/templates/retrain.yaml": text,
    }


def cdk(loop: bool) -> Tree:
    namespace = "aws/sagemaker/Endpoints/data-metrics" if loop else "AWS/EC2"
    metric = "feature_baseline_drift_total" if loop else "CPUUtilization"
    target = (
        """targets=[
                    events.CfnRule.TargetProperty(
                        id="Retrain",
                        arn=pipeline.ref,
                        role_arn=role_arn,
                        sage_maker_pipeline_parameters=params(pipeline_parameter_list=[]),
                    )
                ],"""
        if loop
        else """targets=[events.CfnRule.TargetProperty(id="Notify", arn=topic.topic_arn)],"""
    )
    return {
        "app/stack.py": f"""
            from aws_cdk import Stack
            from aws_cdk import aws_cloudwatch as cloudwatch
            from aws_cdk import aws_events as events
            from aws_cdk import aws_sagemaker as sagemaker
            from aws_cdk import aws_sns as sns


            params = events.CfnRule.SageMakerPipelineParametersProperty


            class MonitoringStack(Stack):
                def __init__(self, scope, construct_id, role_arn, **kwargs):
                    super().__init__(scope, construct_id, **kwargs)
                    alarm = cloudwatch.Alarm(
                        self,
                        "ModelAlarm",
                        metric=cloudwatch.Metric(namespace="{namespace}", metric_name="{metric}"),
                        threshold=0.2,
                        evaluation_periods=1,
                    )
                    pipeline = sagemaker.CfnPipeline(
                        self,
                        "TrainingPipeline",
                        pipeline_name="model-training",
                        role_arn=role_arn,
                        pipeline_definition={{"PipelineDefinitionBody": "{{}}"}},
                    )
                    topic = sns.Topic(self, "Ops")
                    rule = events.CfnRule(
                        self,
                        "OnAlarm",
                        event_pattern={{
                            "source": ["aws.cloudwatch"], "resources": [alarm.alarm_arn]
                        }},
                        {target}
                    )
            """
    }


FORMATS = {
    "CloudFormation YAML": cfn_yaml,
    "CloudFormation JSON": cfn_json,
    "Terraform (AWS)": terraform,
    "Terraform (GCP function code)": terraform_gcp,
    "ARM": arm,
    "Bicep": bicep,
    "Kubernetes": kubernetes,
    "Helm": helm,
    "CDK": cdk,
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_monitoring_alarm_starts_retraining_or_nothing(tmp_path: Path, fmt: str) -> None:
    make = FORMATS[fmt]
    loop = snap_of(tmp_path / "loop", make(True))
    res = infra.iac_retraining_loop(loop)
    assert res.found, (fmt, [r.type for r in load_iac(loop).resources], loop.unreadable)
    assert ci_signals.drift_triggered_retraining(loop).found
    none = snap_of(tmp_path / "none", make(False))
    assert load_iac(none).resources, fmt
    assert not infra.iac_retraining_loop(none).found, infra.iac_retraining_loop(none).evidence


def test_helm_templates_read_once_directives_are_stripped() -> None:
    text = (
        "{{- if .Values.on }}\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n{{- end }}\n"
    )
    assert strip_helm(text) == "\nkind: Service\nmetadata:\n  name: x\n"


def test_prediction_capture(tmp_path: Path) -> None:
    def endpoint(enabled: str) -> Tree:
        return {
            "template.yaml": f"""
                Resources:
                  EndpointConfig:
                    Type: AWS::SageMaker::EndpointConfig
                    Properties:
                      ProductionVariants:
                        - ModelName: model
                          VariantName: AllTraffic
                          InitialInstanceCount: 1
                          InstanceType: ml.m5.large
                      DataCaptureConfig:
                        EnableCapture: {enabled}
                        InitialSamplingPercentage: 100
                        DestinationS3Uri: s3://bucket/capture
                        CaptureOptions:
                          - CaptureMode: Input
                          - CaptureMode: Output
                """,
            "main.tf": f"""
                resource "google_vertex_ai_endpoint" "ep" {{
                  name         = "endpoint"
                  display_name = "endpoint"
                  location     = "europe-west1"
                  predict_request_response_logging_config {{
                    enabled       = {enabled.lower()}
                    sampling_rate = 1.0
                  }}
                }}
                """,
        }

    on = infra.iac_prediction_capture(snap_of(tmp_path / "on", endpoint("true")))
    assert {e.path for e in on.evidence} == {"template.yaml", "main.tf"}
    assert not infra.iac_prediction_capture(snap_of(tmp_path / "off", endpoint("false"))).found
    kserve = snap_of(
        tmp_path / "kserve",
        {
            "serving.yaml": """
                apiVersion: serving.kserve.io/v1beta1
                kind: InferenceService
                metadata:
                  name: churn
                spec:
                  predictor:
                    logger:
                      mode: all
                      url: http://broker/
                    model:
                      modelFormat:
                        name: sklearn
                """
        },
    )
    assert infra.iac_prediction_capture(kserve).found


def test_model_monitoring_declared_as_code(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path / "yes",
        {
            "monitor.tf": """
                resource "aws_sagemaker_monitoring_schedule" "drift" {
                  name = "drift"
                  monitoring_schedule_config {
                    monitoring_job_definition_name = "data-quality"
                    monitoring_type                = "DataQuality"
                  }
                }
                """
        },
    )
    assert infra.iac_monitoring(snap).found
    cpu = snap_of(tmp_path / "no", terraform(False))
    assert not infra.iac_monitoring(cpu).found


def test_gradual_rollout_in_sam_and_sagemaker(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        {
            "template.yaml": """
                Transform: AWS::Serverless-2016-10-31
                Resources:
                  Predict:
                    Type: AWS::Serverless::Function
                    Properties:
                      Handler: app.handler
                      Runtime: python3.12
                      AutoPublishAlias: live
                      DeploymentPreference:
                        Type: Canary10Percent5Minutes
                        Alarms:
                          - !Ref ErrorsAlarm
                  Endpoint:
                    Type: AWS::SageMaker::Endpoint
                    Properties:
                      EndpointConfigName: config
                      DeploymentConfig:
                        BlueGreenUpdatePolicy:
                          TrafficRoutingConfiguration:
                            Type: LINEAR
                """
        },
    )
    notes = [note for _r, note in gradual_rollout(snap)]
    assert len(notes) == 2 and "with alarms" in notes[0]
    plain = snap_of(
        tmp_path / "plain",
        {
            "template.yaml": """
                Resources:
                  Predict:
                    Type: AWS::Serverless::Function
                    Properties:
                      Handler: app.handler
                      DeploymentPreference:
                        Type: AllAtOnce
                """
        },
    )
    assert gradual_rollout(plain) == []


def test_cdk_stacks_per_environment(tmp_path: Path) -> None:
    app = """
        import aws_cdk as cdk

        from stacks import ModelStack

        app = cdk.App()
        ModelStack(app, "model-staging", env=cdk.Environment(account="111", region="eu-west-1"))
        ModelStack(app, "model-prod", env=cdk.Environment(account="222", region="eu-west-1"))
        app.synth()
        """
    snap = snap_of(tmp_path / "two", {"app.py": app})
    res = infra.multiple_environments(snap)
    assert {e.note for e in res.evidence} == {
        "environment 'prod' (CDK stacks or stages)",
        "environment 'staging' (CDK stacks or stages)",
    }
    one = snap_of(tmp_path / "one", {"app.py": app.replace("model-staging", "model")})
    assert not infra.multiple_environments(one).found


def test_hostile_templates_stay_bounded(tmp_path: Path) -> None:
    laughs = ["AWSTemplateFormatVersion: '2010-09-09'", 'a0: &a0 [!Ref "lol", "AWS::lol"]']
    laughs += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 25)]
    laughs += ["Resources:", "  Bomb:", "    Type: AWS::SNS::Topic", "    Properties:"]
    laughs += ["      Tags: *a24"]
    snap = snap_of(
        tmp_path,
        {
            "bomb.yaml": "\n".join(laughs) + "\n",
            "broken.tf": 'resource "aws_sns_topic" "t" {\n  name = \n',
            "loop.json": '{"Resources": [{"Type": "AWS::SNS::Topic"}',
        },
    )
    graph = load_iac(snap)
    assert [r.type for r in graph.resources if r.path == "bomb.yaml"] == ["AWS::SNS::Topic"]
    assert {u.path for u in snap.unreadable} >= {"broken.tf", "loop.json"}
    assert not infra.iac_retraining_loop(snap).found


def test_schedules_declared_as_code_that_start_training(tmp_path: Path) -> None:
    rule = """
        Resources:
          Nightly:
            Type: AWS::Events::Rule
            Properties:
              ScheduleExpression: cron(0 2 * * ? *)
              Targets:
                - Id: Train
                  Arn: !Sub "arn:aws:sagemaker:${AWS::Region}:111:pipeline/training"
                  RoleArn: arn:aws:iam::111:role/events
                  SageMakerPipelineParameters:
                    PipelineParameterList: []
        """
    snap = snap_of(tmp_path / "cfn", {"template.yaml": rule})
    res = ci_signals.scheduled_retraining(snap)
    assert res.found and "schedule AWS::Events::Rule" in res.evidence[0].note
    gcp = terraform_gcp(True)
    gcp["terraform/scheduler.tf"] = """
        resource "google_cloud_scheduler_job" "weekly" {
          name     = "weekly-retrain"
          schedule = "0 3 * * 1"
          pubsub_target {
            topic_name = google_pubsub_topic.retrain.id
            data       = base64encode("train")
          }
        }
        """
    assert ci_signals.scheduled_retraining(snap_of(tmp_path / "gcp", gcp)).found
    to_topic = rule.replace(
        "SageMakerPipelineParameters:\n                    PipelineParameterList: []", ""
    ).replace('!Sub "arn:aws:sagemaker:${AWS::Region}:111:pipeline/training"', "!Ref Ops")
    to_topic += "          Ops:\n            Type: AWS::SNS::Topic\n"
    assert not ci_signals.scheduled_retraining(
        snap_of(tmp_path / "sns", {"template.yaml": to_topic})
    ).found
