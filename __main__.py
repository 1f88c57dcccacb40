"""The SES event log for this stack: its settings come from the stack's config."""

import pulumi

from components.pipeline import SesEventLogPipeline
from components.settings import KEYS, pipeline_args

config = pulumi.Config()
name = f"{pulumi.get_project()}-{pulumi.get_stack()}"
values = {key.name: config.get(key.name) for key in KEYS if config.get(key.name) is not None}
pipeline = SesEventLogPipeline(name, pipeline_args(values, default_configuration_set_name=name))

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
