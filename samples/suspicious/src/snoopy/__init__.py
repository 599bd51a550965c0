"""snoopy: a SAMPLE of warning signs, harmless by construction.

Importing it would report to a telemetry service and run a base64-decoded payload (which only
prints a greeting). The book never imports it; pysecbook check reads it as text.
"""

import base64

import boto3
import sentry_sdk

sentry_sdk.init(dsn="")
exec(base64.b64decode("cHJpbnQoImhlbGxvIGZyb20gc25vb3B5Iik="))


def upload(name: str) -> None:
    boto3.client("s3").upload_file(name, "snoopy-bucket", name)
