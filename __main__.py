"""The SES event log for this stack: its settings come from the stack's config."""

import pulumi
from pulumi.runtime import config as runtime_config

from components.pipeline import SesEventLogPipeline
from components.settings import pipeline_args

project = pulumi.get_project()
name = f"{project}-{pulumi.get_stack()}"
# Every key of the project's namespace, known or not: a misspelt key must be refused, not
# ignored in favour of the default. The CLI hands the config over in PULUMI_CONFIG; tests and
# mocks set it in the runtime.
given = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
values = {key.split(":", 1)[1]: value for key, value in given.items() if key.startswith(f"{project}:")}
region = pulumi.Config("aws").get("region")
pipeline = SesEventLogPipeline(name, pipeline_args(values, default_configuration_set_name=name, region=region))

pulumi.export("bucketName", pipeline.bucket_name)
pulumi.export("bucketArn", pipeline.bucket_arn)
pulumi.export("dataPrefix", pipeline.data_prefix)
pulumi.export("kmsKeyArn", pipeline.kms_key_arn)
pulumi.export("streamName", pipeline.stream_name)
pulumi.export("streamArn", pipeline.stream_arn)
pulumi.export("errorLogGroup", pipeline.error_log_group)
pulumi.export("configurationSetName", pipeline.configuration_set_name)
pulumi.export("glueDatabase", pipeline.glue_database)
pulumi.export("glueTable", pipeline.glue_table)
pulumi.export("athenaWorkgroup", pipeline.athena_workgroup)
if pipeline.alarm_topic_arn is not None:
    pulumi.export("alarmTopicArn", pipeline.alarm_topic_arn)
if pipeline.notification_topic_arn is not None:
    pulumi.export("notificationTopicArn", pipeline.notification_topic_arn)
if pipeline.cognito_error_table is not None:
    pulumi.export("cognitoErrorTable", pipeline.cognito_error_table)
if pipeline.cognito_log_group_arn is not None:
    pulumi.export("cognitoLogGroupArn", pipeline.cognito_log_group_arn)
if pipeline.compaction_function is not None:
    pulumi.export("compactionFunction", pipeline.compaction_function)
