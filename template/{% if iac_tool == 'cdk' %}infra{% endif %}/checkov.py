"""checkov's skips, kept as metadata on the CloudFormation resource they concern."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnResource
from constructs import IConstruct


def skip(construct: IConstruct, reasons: Mapping[str, str]) -> None:
    """Record, on the resource `construct` defines, the checkov findings that do not apply.

    `reasons` maps a check id (CKV_AWS_158) to why it does not apply; checkov reads them from the
    synthesized template's `Metadata.checkov.skip`. `construct` may be the resource itself (an L1
    construct). Raises TypeError if the construct defines no single CloudFormation resource.
    """
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} defines no single CloudFormation resource")
    resource.add_metadata(
        "checkov", {"skip": [{"id": id_, "comment": text} for id_, text in reasons.items()]}
    )
