"""Storage: the DynamoDB tables and S3 buckets of catalog/resources.py, with the protections AWS needs.

Tables: on-demand, point-in-time recovery, the sparse pending-approvals index. Buckets: S3-managed encryption,
public access blocked, TLS only, server access logs (to one log bucket), versioning and EventBridge notifications
where the declaration asks for them (and EventBridge wherever an upload rule listens). ``retain_data`` decides whether ``cdk destroy`` removes them.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from catalog import deployment
from infra.config import Settings
from services.common.progress import PENDING_INDEX

ACCESS_LOG_DAYS = 90


def bucket_name(spec: object) -> str:
    return spec if isinstance(spec, str) else spec.name


def bucket_versioned(spec: object) -> bool:
    return bool(getattr(spec, "versioned", False))


def bucket_sends_events(spec: object) -> bool:
    """EventBridge notifications: where the declaration asks, and wherever an upload rule listens."""
    name = bucket_name(spec)
    listened = any(rule.bucket == name for rule in deployment.upload_rules())
    return bool(getattr(spec, "event_bridge", False)) or listened


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY
        self.tables: dict[str, dynamodb.Table] = {}
        self.table_indexes: dict[str, str] = {}
        for spec in deployment.tables():
            table = dynamodb.Table(
                self,
                spec.name,
                partition_key=dynamodb.Attribute(name=spec.partition_key, type=dynamodb.AttributeType.STRING),
                sort_key=(
                    dynamodb.Attribute(name=spec.sort_key, type=dynamodb.AttributeType.STRING)
                    if spec.sort_key
                    else None
                ),
                time_to_live_attribute=spec.expiry_attribute,
                stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.stream else None,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                deletion_protection=settings.retain_data,
                removal_policy=removal,
            )
            if spec.pending_index:
                partition, sort = spec.pending_index
                table.add_global_secondary_index(
                    index_name=PENDING_INDEX,
                    partition_key=dynamodb.Attribute(name=partition, type=dynamodb.AttributeType.STRING),
                    sort_key=dynamodb.Attribute(name=sort, type=dynamodb.AttributeType.STRING),
                    projection_type=dynamodb.ProjectionType.ALL,
                )
                self.table_indexes[spec.name] = PENDING_INDEX
            self.tables[spec.name] = table

        self.buckets: dict[str, s3.Bucket] = {}
        specs = deployment.buckets()
        self.access_logs = self._access_log_bucket(removal, settings) if specs else None
        for spec in specs:
            name = bucket_name(spec)
            bucket = s3.Bucket(
                self,
                name,
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                versioned=bucket_versioned(spec),
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=f"{name}/",
                removal_policy=removal,
                auto_delete_objects=not settings.retain_data,
            )
            if bucket_sends_events(spec):
                _send_events_to_eventbridge(bucket)
            self.buckets[name] = bucket

    def _access_log_bucket(self, removal: RemovalPolicy, settings: Settings) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "access-logs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_DAYS))],
            removal_policy=removal,
            auto_delete_objects=not settings.retain_data,
        )
        return bucket


def _send_events_to_eventbridge(bucket: s3.Bucket) -> None:
    """CloudFormation's own EventBridgeConfiguration, not CDK's ``event_bridge_enabled`` (which adds a custom
    resource Lambda to call PutBucketNotification)."""
    cfn = bucket.node.default_child
    cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
        event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
    )
