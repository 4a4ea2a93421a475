"""Checks of infra/template.yaml, on the template as written and after the SAM transform."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.iam import as_list

pytestmark = pytest.mark.template

FUNCTION = "ContainersFunction"
BADGES_FUNCTION = "BadgesFunction"
PUBLIC_FUNCTION = "PublicFunction"
ISSUING_FUNCTION = "IssuingFunction"
CODES_FUNCTION = "ClaimCodesFunction"
MILESTONES_FUNCTION = "MilestonesFunction"
ASSESSMENT_FUNCTION = "AssessmentFunction"
WEBHOOKS_FUNCTION = "WebhooksFunction"
DOCS_FUNCTION = "DocsFunction"

# The three container prefixes {L} of README §1.
PREFIXES = (
    "/systems/{systemSlug}",
    "/systems/{systemSlug}/issuers/{issuerSlug}",
    "/systems/{systemSlug}/issuers/{issuerSlug}/programs/{programSlug}",
)

# Routes owned by ContainersFunction (README §12, §13, §13.1; systems.md, issuers.md, programs.md).
CONTAINER_ROUTES: dict[str, set[str]] = {
    "/": {"GET"},
    "/healthcheck": {"GET"},
    "/systems": {"GET", "POST"},
    "/systems/{systemSlug}": {"GET", "PUT", "DELETE"},
    "/systems/{systemSlug}/issuers": {"GET", "POST"},
    "/systems/{systemSlug}/issuers/{issuerSlug}": {"GET", "PUT", "DELETE"},
    "/systems/{systemSlug}/issuers/{issuerSlug}/programs": {"GET", "POST"},
    "/systems/{systemSlug}/issuers/{issuerSlug}/programs/{programSlug}": {"GET", "PUT", "DELETE"},
    "/systems/{systemSlug}/consumers": {"GET", "POST"},
    "/systems/{systemSlug}/consumers/{apiKey}": {"DELETE"},
}
# Badge classes under each prefix (badges.md).
BADGE_ROUTES: dict[str, set[str]] = {
    path: methods
    for prefix in PREFIXES
    for path, methods in (
        (f"{prefix}/badges", {"GET", "POST"}),
        (f"{prefix}/badges/{{badgeSlug}}", {"GET", "PUT", "DELETE"}),
    )
}
# Public documents (badges.md /public/badges, issuing.md, README §10).
PUBLIC_ROUTES: dict[str, set[str]] = {
    "/public/badges": {"GET"},
    "/public/systems/{systemSlug}": {"GET"},
    "/public/systems/{systemSlug}/issuers/{issuerSlug}": {"GET"},
    "/public/systems/{systemSlug}/issuers/{issuerSlug}/programs/{programSlug}": {"GET"},
    **{f"/public{prefix}/badges/{{badgeSlug}}": {"GET"} for prefix in PREFIXES},
    "/public/images/{imageSlug}": {"GET"},
    "/public/assertions/{instanceSlug}": {"GET"},
    "/public/credentials/{instanceSlug}": {"GET"},
    "/public/assertions/{instanceSlug}/image": {"GET"},
    # Signed Open Badges: key documents and revocation lists (docs/open-badges.md).
    **{f"/public{prefix}/keys/{{keyId}}": {"GET"} for prefix in PREFIXES},
    "/public/keys": {"GET"},
    "/public/keys/{keyId}": {"GET"},
    "/public/systems/{systemSlug}/revocations": {"GET"},
    "/public/systems/{systemSlug}/credentials/status": {"GET"},
}


def at_every_level(table: dict[str, set[str]]) -> dict[str, set[str]]:
    return {prefix + suffix: methods for prefix in PREFIXES for suffix, methods in table.items()}


# Badge instances (issuing.md, with the client's PUT extension).
ISSUING_ROUTES = at_every_level(
    {
        "/badges/{badgeSlug}/instances": {"GET", "POST"},
        "/badges/{badgeSlug}/instances/bulk": {"POST"},
        "/badges/{badgeSlug}/instances/{email}": {"GET", "PUT", "DELETE"},
        "/instances/{email}": {"GET"},
    }
)
# Claim codes (claim-codes.md, with the client's list and PUT extensions).
CODES_ROUTES = at_every_level(
    {
        "/codes": {"GET"},
        "/codes/{code}": {"GET"},
        "/badges/{badgeSlug}/codes": {"GET", "POST"},
        "/badges/{badgeSlug}/codes/random": {"POST"},
        "/badges/{badgeSlug}/codes/{code}": {"GET", "PUT", "DELETE"},
        "/badges/{badgeSlug}/codes/{code}/claim": {"POST"},
    }
)
# Milestones exist only under the system prefix (milestones.md).
MILESTONE_ROUTES: dict[str, set[str]] = {
    "/systems/{systemSlug}/milestones": {"GET", "POST"},
    "/systems/{systemSlug}/milestones/{milestoneId}": {"GET", "PUT", "DELETE"},
    "/systems/{systemSlug}/milestones/{milestoneId}/add-badge": {"POST"},
    "/systems/{systemSlug}/milestones/{milestoneId}/remove-badge": {"POST"},
}
# Applications, reviews and the client's evidence extension (assessment.md).
_APPLICATION = "/badges/{badgeSlug}/applications/{applicationSlug}"
ASSESSMENT_ROUTES = at_every_level(
    {
        "/applications": {"GET"},
        "/badges/{badgeSlug}/applications": {"GET", "POST"},
        _APPLICATION: {"GET", "PUT", "DELETE"},
        f"{_APPLICATION}/reviews": {"GET", "POST"},
        f"{_APPLICATION}/reviews/{{reviewSlug}}": {"GET", "PUT", "DELETE"},
        f"{_APPLICATION}/evidence": {"GET"},
        f"{_APPLICATION}/evidence/{{evidenceSlug}}": {"GET"},
    }
)
# Webhook configuration and the delivery log (webhooks.md §1, §4; README §13.1 extensions).
_WEBHOOK = "/systems/{systemSlug}/webhooks/{webhookId}"
WEBHOOK_ROUTES: dict[str, set[str]] = {
    "/systems/{systemSlug}/webhooks": {"GET", "POST"},
    _WEBHOOK: {"DELETE"},
    f"{_WEBHOOK}/deliveries": {"GET"},
    f"{_WEBHOOK}/deliveries/{{deliveryId}}/redeliver": {"POST"},
}
# The API reference, unsigned (README "API reference"; functions/docs/app.py).
DOCS_ROUTES: dict[str, set[str]] = {
    "/openapi.json": {"GET"},
    "/docs": {"GET"},
    "/docs/{asset}": {"GET"},
}
FUNCTION_ROUTES: dict[str, dict[str, set[str]]] = {
    FUNCTION: CONTAINER_ROUTES,
    BADGES_FUNCTION: BADGE_ROUTES,
    PUBLIC_FUNCTION: PUBLIC_ROUTES,
    ISSUING_FUNCTION: ISSUING_ROUTES,
    CODES_FUNCTION: CODES_ROUTES,
    MILESTONES_FUNCTION: MILESTONE_ROUTES,
    ASSESSMENT_FUNCTION: ASSESSMENT_ROUTES,
    WEBHOOKS_FUNCTION: WEBHOOK_ROUTES,
    DOCS_FUNCTION: DOCS_ROUTES,
}
# Functions whose paths each have one ANY event (the resource-policy budget, docs/deploy.md):
# their methods are routed, and 405 answered, by the function's own route table.
ANY_ONLY_FUNCTIONS = {
    ISSUING_FUNCTION,
    CODES_FUNCTION,
    MILESTONES_FUNCTION,
    ASSESSMENT_FUNCTION,
    WEBHOOKS_FUNCTION,
    PUBLIC_FUNCTION,
}
# The JWT-signed API functions (read/write data, the master secret).
API_FUNCTIONS = set(FUNCTION_ROUTES) - {PUBLIC_FUNCTION, DOCS_FUNCTION}
METHOD_ROUTES = sorted(
    (function, method, path)
    for function, table in FUNCTION_ROUTES.items()
    for path, methods in table.items()
    for method in ({"ANY"} if function in ANY_ONLY_FUNCTIONS else methods)
)
FUNCTION_PATHS = sorted(
    (function, path) for function, table in FUNCTION_ROUTES.items() for path in table
)
# The Api events each function has: its methods, ANY on each of its paths, the catch-all.
EXPECTED_API_EVENTS = {
    function: sum(
        1 if function in ANY_ONLY_FUNCTIONS else len(methods) + 1 for methods in table.values()
    )
    + (1 if function == FUNCTION else 0)
    for function, table in FUNCTION_ROUTES.items()
}
# Lambda's limit on the size of one function's resource-based policy (all its statements).
RESOURCE_POLICY_LIMIT = 20 * 1024

REQUIRED_ENV_VARS = {
    "TABLE_NAME",
    "IMAGES_BUCKET",
    "MASTER_SECRET_PARAMETER",
    "MASTER_SECRET_MAX_AGE",
    "PUBLIC_BASE_URL",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "TOKEN_POLICY",
    "TOKEN_MAX_LIFETIME",
}
PARAMETER_ARN = (
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
    "${MasterSecretParameterName}"
)
TABLE_RESOURCES = [{"Fn::GetAtt": ["Table", "Arn"]}, {"Fn::Sub": "${Table.Arn}/index/*"}]
IMAGE_OBJECTS = {"Fn::Sub": "${ImagesBucket.Arn}/images/*"}
SIGNING_ACTIONS = {"kms:Sign", "kms:GetPublicKey", "dynamodb:PutItem"}
SIGNING_KEYS_ONLY = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["SIGNINGKEY"]}}
TABLE_READ_ACTIONS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
TABLE_WRITE_ACTIONS = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
}
IMAGE_WRITE_ACTIONS = {
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:PutObjectTagging",
    "s3:DeleteObjectTagging",
}
AWS_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}
OPENAPI_METHODS = {
    "get": "GET",
    "post": "POST",
    "put": "PUT",
    "delete": "DELETE",
    "patch": "PATCH",
    "head": "HEAD",
    "options": "OPTIONS",
    "x-amazon-apigateway-any-method": "ANY",
}
PSEUDO_PARAMETERS = {
    "AWS::AccountId",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}


# --- helpers ----------------------------------------------------------------------------------


def of_type(template: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


@pytest.fixture(scope="module")
def rest_api(sam_output: dict[str, Any]) -> dict[str, Any]:
    apis = of_type(sam_output, "AWS::ApiGateway::RestApi")
    assert list(apis) == ["Api"]
    result: dict[str, Any] = apis["Api"]
    return result


@pytest.fixture(scope="module")
def routes(rest_api: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> logical id of the Lambda function the integration invokes."""
    result: dict[tuple[str, str], str] = {}
    for path, operations in rest_api["Properties"]["Body"]["paths"].items():
        for key, operation in operations.items():
            integration = operation["x-amazon-apigateway-integration"]
            assert integration["type"] == "aws_proxy", (key, path)
            match = re.fullmatch(
                r"arn:aws:apigateway:\$\{AWS::Region\}:lambda:path/2015-03-31/functions/"
                r"\$\{(\w+)\.Arn\}/invocations",
                integration["uri"]["Fn::Sub"],
            )
            assert match, integration["uri"]
            result[(OPENAPI_METHODS[key], path)] = match.group(1)
    return result


def iter_references(value: Any) -> Iterator[str]:
    """Logical names used by Ref, Fn::GetAtt and Fn::Sub inside ``value``."""
    if isinstance(value, list):
        for item in value:
            yield from iter_references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref":
                yield item.split(".")[0]
            elif key == "Fn::GetAtt":
                yield as_list(item)[0].split(".")[0]
            elif key == "Fn::Sub":
                text, variables = (item, {}) if isinstance(item, str) else item
                for name in re.findall(r"\$\{([^!}][^}]*)\}", text):
                    if name not in variables:
                        yield name.split(".")[0]
                yield from iter_references(variables)
            else:
                yield from iter_references(item)


# --- routing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("function", "method", "path"), METHOD_ROUTES)
def test_documented_route_invokes_its_function(
    routes: dict[tuple[str, str], str], function: str, method: str, path: str
) -> None:
    assert routes.get((method, path)) == function


@pytest.mark.parametrize(("function", "path"), FUNCTION_PATHS)
def test_path_has_exactly_its_methods_plus_any_on_the_same_function(
    routes: dict[tuple[str, str], str], function: str, path: str
) -> None:
    methods = {method for method, route_path in routes if route_path == path}
    expected = set() if function in ANY_ONLY_FUNCTIONS else FUNCTION_ROUTES[function][path]
    assert methods == expected | {"ANY"}
    assert routes[("ANY", path)] == function


def test_no_route_beyond_the_tables(routes: dict[tuple[str, str], str]) -> None:
    documented = {path for table in FUNCTION_ROUTES.values() for path in table} | {"/{proxy+}"}
    assert {path for _, path in routes} == documented


def test_badge_and_public_path_parameters_use_the_spec_names(
    routes: dict[tuple[str, str], str],
) -> None:
    allowed = {
        "systemSlug",
        "issuerSlug",
        "programSlug",
        "badgeSlug",
        "imageSlug",
        "apiKey",
        "instanceSlug",
        "email",
        "code",
        "milestoneId",
        "applicationSlug",
        "reviewSlug",
        "evidenceSlug",
        "webhookId",
        "deliveryId",
        "asset",
        "keyId",
    }
    for _, path in routes:
        assert set(re.findall(r"\{(\w+)\+?\}", path)) <= allowed | {"proxy"}, path


def test_catch_all_routes_unknown_paths_to_containers_function(
    routes: dict[tuple[str, str], str],
) -> None:
    assert {method for method, path in routes if path == "/{proxy+}"} == {"ANY"}
    assert routes[("ANY", "/{proxy+}")] == FUNCTION
    assert routes[("ANY", "/")] == FUNCTION


def test_every_path_answers_any_method_from_the_same_function(
    routes: dict[tuple[str, str], str],
) -> None:
    # The 405 scheme: whatever function owns a path also gets ANY on it, so undefined methods
    # (including HEAD and OPTIONS) reach code that answers 405 with an Allow header.
    for path in {path for _, path in routes}:
        owners = {target for (_, route_path), target in routes.items() if route_path == path}
        assert ("ANY", path) in routes, path
        assert owners == {routes[("ANY", path)]}, path


def test_every_api_event_has_an_invoke_permission(
    template: dict[str, Any], sam_output: dict[str, Any]
) -> None:
    permissions = of_type(sam_output, "AWS::Lambda::Permission")
    api_events: dict[str, int] = {}
    for name, resource in of_type(template, "AWS::Serverless::Function").items():
        for event_name, event in resource["Properties"].get("Events", {}).items():
            if event["Type"] != "Api":
                continue
            api_events[name] = api_events.get(name, 0) + 1
            permission = permissions[f"{name}{event_name}PermissionProd"]["Properties"]
            assert permission["Action"] == "lambda:InvokeFunction"
            assert permission["Principal"] == "apigateway.amazonaws.com"
            assert permission["FunctionName"] == {"Ref": name}
    # Each documented method, ANY on each of those paths, and (containers) the catch-all.
    assert api_events == EXPECTED_API_EVENTS


def test_invoke_permissions_fit_in_the_resource_policy_size_limit(
    sam_output: dict[str, Any],
) -> None:
    # SAM adds one AWS::Lambda::Permission per Api event; each becomes one statement of the
    # function's resource-based policy, whose total size Lambda limits to 20 KB. Estimate the worst
    # case: the longest statement id (100), function name (64) and region, minified JSON.
    sizes: dict[str, int] = {}
    for permission in of_type(sam_output, "AWS::Lambda::Permission").values():
        props = permission["Properties"]
        text, _ = props["SourceArn"]["Fn::Sub"]
        source_arn = (
            text.replace("${AWS::Region}", "ap-southeast-4")
            .replace("${AWS::AccountId}", "123456789012")
            .replace("${__ApiId__}", "a1b2c3d4e5")
            .replace("${__Stage__}", "*")
        )
        statement = {
            "Sid": "s" * 100,
            "Effect": "Allow",
            "Principal": {"Service": props["Principal"]},
            "Action": props["Action"],
            "Resource": "arn:aws:lambda:ap-southeast-4:123456789012:function:" + "f" * 64,
            "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
        }
        function = props["FunctionName"]["Ref"]
        size = len(json.dumps(statement, separators=(",", ":"))) + 1
        sizes[function] = sizes.get(function, 64) + size  # 64: the policy envelope
    assert set(sizes) == set(FUNCTION_ROUTES)
    for function, size in sizes.items():
        # Keep headroom: docs/deploy.md explains what to do when a function gets close.
        assert size < RESOURCE_POLICY_LIMIT * 0.8, (function, size)


# --- API --------------------------------------------------------------------------------------


def test_api_passes_every_body_through_as_binary(
    resources: dict[str, Any], rest_api: dict[str, Any]
) -> None:
    assert resources["Api"]["Properties"]["BinaryMediaTypes"] == ["*~1*"]
    assert rest_api["Properties"]["Body"]["x-amazon-apigateway-binary-media-types"] == ["*/*"]


def test_api_is_regional(rest_api: dict[str, Any]) -> None:
    assert rest_api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def test_single_stage_with_throttling_defaults(sam_output: dict[str, Any]) -> None:
    stages = of_type(sam_output, "AWS::ApiGateway::Stage")
    assert len(stages) == 1, f"unexpected extra stages: {sorted(stages)}"
    (stage,) = stages.values()
    props = stage["Properties"]
    assert props["StageName"] == "Prod"
    assert props["RestApiId"] == {"Ref": "Api"}
    assert props["TracingEnabled"] is True
    (setting,) = props["MethodSettings"]
    assert setting["ResourcePath"] == "/*"
    assert setting["HttpMethod"] == "*"
    assert setting["ThrottlingBurstLimit"] > 0
    assert setting["ThrottlingRateLimit"] > 0
    # Without OpenApiVersion, SAM's Deployment also creates a stray stage named "Stage".
    for deployment in of_type(sam_output, "AWS::ApiGateway::Deployment").values():
        assert "StageName" not in deployment["Properties"]


def test_gateway_responses_use_the_spec_error_bodies(rest_api: dict[str, Any]) -> None:
    responses = rest_api["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["statusCode"] == "404"
    body = json.loads(missing["responseTemplates"]["application/json"])
    assert body == {"code": "ResourceNotFound", "message": "$context.path does not exist"}
    default_5xx = json.loads(responses["DEFAULT_5XX"]["responseTemplates"]["application/json"])
    assert default_5xx == {"code": "InternalError", "message": "An internal error occurred"}


def test_every_gateway_response_sends_nosniff(rest_api: dict[str, Any]) -> None:
    # README §10: every response of the API, the gateway's own included. A response type the
    # template defines does not inherit DEFAULT_4XX/5XX, so each one must set the header.
    responses = rest_api["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for response_type, response in responses.items():
        parameters = response.get("responseParameters") or {}
        assert parameters.get("gatewayresponse.header.X-Content-Type-Options") == "'nosniff'", (
            response_type
        )


# --- custom domain ----------------------------------------------------------------------------


def test_custom_domain_is_mapped_at_the_root(
    sam_output: dict[str, Any], evaluate: Callable[..., Any]
) -> None:
    res = sam_output["Resources"]
    domain = res["ApiDomainName"]
    mapping = res["ApiBasePathMapping"]
    assert domain["Type"] == "AWS::ApiGateway::DomainName"
    assert mapping["Type"] == "AWS::ApiGateway::BasePathMapping"
    assert domain["Condition"] == mapping["Condition"] == "HasCustomDomain"
    assert domain["Properties"]["DomainName"] == {"Ref": "DomainName"}
    assert domain["Properties"]["RegionalCertificateArn"] == {"Ref": "CertificateArn"}
    assert domain["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    props = mapping["Properties"]
    assert props.get("BasePath", "") in ("", "(none)")  # root: the clients drop path prefixes
    assert props["DomainName"] == {"Ref": "ApiDomainName"}
    assert props["RestApiId"] == {"Ref": "Api"}
    stage_ref = props["Stage"]["Ref"]
    assert res[stage_ref]["Type"] == "AWS::ApiGateway::Stage"

    assert evaluate().condition("HasCustomDomain") is False
    assert evaluate(DomainName="badges.example.org").condition("HasCustomDomain") is True


def test_outputs_reference_existing_things_under_the_same_condition(
    sam_output: dict[str, Any],
) -> None:
    res = sam_output["Resources"]
    known = set(res) | set(sam_output["Parameters"]) | PSEUDO_PARAMETERS
    outputs = sam_output["Outputs"]
    assert "CustomDomainTarget" in outputs
    for name, output in outputs.items():
        for ref in iter_references(output["Value"]):
            assert ref in known, f"output {name} refers to unknown {ref}"
            condition = res.get(ref, {}).get("Condition")
            if condition:
                assert output.get("Condition") == condition, name


def test_all_references_resolve(sam_output: dict[str, Any]) -> None:
    known = set(sam_output["Resources"]) | set(sam_output["Parameters"]) | PSEUDO_PARAMETERS
    unknown = set(iter_references(sam_output["Resources"])) - known
    assert not unknown


# --- table ------------------------------------------------------------------------------------


def test_one_table_with_keys_and_indexes(sam_output: dict[str, Any]) -> None:
    tables = of_type(sam_output, "AWS::DynamoDB::Table")
    assert list(tables) == ["Table"]
    props = tables["Table"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    indexes = {
        gsi["IndexName"]: (
            [(k["AttributeName"], k["KeyType"]) for k in gsi["KeySchema"]],
            gsi["Projection"]["ProjectionType"],
        )
        for gsi in props["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        "GSI1": ([("GSI1PK", "HASH"), ("GSI1SK", "RANGE")], "ALL"),
        "GSI2": ([("GSI2PK", "HASH"), ("GSI2SK", "RANGE")], "KEYS_ONLY"),
        "GSI3": ([("GSI3PK", "HASH"), ("GSI3SK", "RANGE")], "ALL"),
    }
    attributes = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert attributes == dict.fromkeys(
        ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"], "S"
    )


def test_table_stream_backup_and_ttl(resources: dict[str, Any]) -> None:
    props = resources["Table"]["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}


@pytest.mark.parametrize(
    ("environment", "policy", "protected"),
    [("prod", "Retain", True), ("dev", "Delete", False)],
)
def test_table_is_protected_and_retained_only_in_prod(
    resources: dict[str, Any],
    evaluate: Callable[..., Any],
    environment: str,
    policy: str,
    protected: bool,
) -> None:
    resolve = evaluate(Environment=environment)
    table = resources["Table"]
    assert resolve(table["DeletionPolicy"]) == policy
    assert resolve(table["UpdateReplacePolicy"]) == policy
    assert resolve(table["Properties"]["DeletionProtectionEnabled"]) is protected


# --- images bucket ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bucket(sam_output: dict[str, Any]) -> dict[str, Any]:
    buckets = of_type(sam_output, "AWS::S3::Bucket")
    assert list(buckets) == ["ImagesBucket"]
    result: dict[str, Any] = buckets["ImagesBucket"]["Properties"]
    return result


def test_images_bucket_is_private_and_encrypted(bucket: dict[str, Any]) -> None:
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], True
    )
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    default = rule["ServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] in ("AES256", "aws:kms")
    if default["SSEAlgorithm"] == "aws:kms":
        assert rule["BucketKeyEnabled"] is True
    assert "BucketName" not in bucket  # generated: bucket names are global


def test_images_bucket_lifecycle_cleans_up_orphans(bucket: dict[str, Any]) -> None:
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert all(rule["Status"] == "Enabled" for rule in rules)
    multipart = [rule for rule in rules if "AbortIncompleteMultipartUpload" in rule]
    assert [rule["AbortIncompleteMultipartUpload"] for rule in multipart] == [
        {"DaysAfterInitiation": 1}
    ]
    pending = [rule for rule in rules if "TagFilters" in rule]
    assert len(pending) == 1
    (rule,) = pending
    assert rule["TagFilters"] == [{"Key": "badgekit-state", "Value": "pending"}]
    assert rule["ExpirationInDays"] == 7
    assert rule.get("Prefix", "images/") == "images/"


def test_images_bucket_denies_insecure_transport(sam_output: dict[str, Any]) -> None:
    policies = of_type(sam_output, "AWS::S3::BucketPolicy")
    (policy,) = policies.values()
    assert policy["Properties"]["Bucket"] == {"Ref": "ImagesBucket"}
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Resource"] == [
        {"Fn::GetAtt": ["ImagesBucket", "Arn"]},
        {"Fn::Sub": "${ImagesBucket.Arn}/*"},
    ]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(("environment", "policy"), [("prod", "Retain"), ("dev", "Delete")])
def test_images_bucket_is_retained_only_in_prod(
    resources: dict[str, Any], evaluate: Callable[..., Any], environment: str, policy: str
) -> None:
    resolve = evaluate(Environment=environment)
    bucket = resources["ImagesBucket"]
    assert resolve(bucket["DeletionPolicy"]) == policy
    assert resolve(bucket["UpdateReplacePolicy"]) == policy


def test_language_extensions_run_before_sam_when_policies_are_conditional(
    template: dict[str, Any],
) -> None:
    # Intrinsics in DeletionPolicy/UpdateReplacePolicy are resolved by AWS::LanguageExtensions.
    assert isinstance(template["Resources"]["Table"]["DeletionPolicy"], dict)
    assert template["Transform"] == ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]


# --- functions and layer ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def functions(sam_output: dict[str, Any]) -> dict[str, Any]:
    result = of_type(sam_output, "AWS::Lambda::Function")
    assert FUNCTION in result
    return result


def test_every_function_runs_python313_on_arm64_with_tracing_and_the_layer(
    sam_output: dict[str, Any], functions: dict[str, Any]
) -> None:
    layers = of_type(sam_output, "AWS::Lambda::LayerVersion")
    (layer_id,) = (name for name in layers if name.startswith("CommonLayer"))
    for name, function in functions.items():
        props = function["Properties"]
        assert props["Runtime"] == "python3.13", name
        assert props["Architectures"] == ["arm64"], name
        assert props["TracingConfig"] == {"Mode": "Active"}, name
        assert {"Ref": layer_id} in props["Layers"], name
        variables = props["Environment"]["Variables"]
        assert set(variables) >= REQUIRED_ENV_VARS, name
        assert variables["TABLE_NAME"] == {"Ref": "Table"}
        assert variables["IMAGES_BUCKET"] == {"Ref": "ImagesBucket"}
        assert variables["MASTER_SECRET_PARAMETER"] == {"Ref": "MasterSecretParameterName"}
        assert variables["MASTER_SECRET_MAX_AGE"] == {"Ref": "MasterSecretMaxAge"}
        assert variables["PUBLIC_BASE_URL"] == {"Ref": "PublicBaseUrl"}
        assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
        assert variables["TOKEN_POLICY"] == {"Ref": "TokenPolicy"}
        assert variables["TOKEN_MAX_LIFETIME"] == {"Ref": "TokenMaxLifetime"}
        assert variables["POWERTOOLS_TRACE_DISABLED"] == {
            "Fn::If": ["TracesHandlers", "false", "true"]
        }


@pytest.mark.parametrize(
    ("value", "disabled"), [(None, "true"), ("false", "true"), ("true", "false")]
)
def test_the_x_ray_sdk_traces_the_handlers_only_when_asked(
    template: dict[str, Any], evaluate: Callable[..., Any], value: str | None, disabled: str
) -> None:
    # badgekit.tracing imports the SDK only when POWERTOOLS_TRACE_DISABLED is not true.
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    resolve = evaluate(**({} if value is None else {"TraceHandlers": value}))
    assert resolve(variables["POWERTOOLS_TRACE_DISABLED"]) == disabled


@pytest.mark.parametrize(
    ("function", "code_uri"),
    [
        (FUNCTION, "../functions/containers/"),
        (BADGES_FUNCTION, "../functions/badges/"),
        (PUBLIC_FUNCTION, "../functions/public/"),
        (ISSUING_FUNCTION, "../functions/issuing/"),
        (CODES_FUNCTION, "../functions/claim_codes/"),
        (MILESTONES_FUNCTION, "../functions/milestones/"),
        (ASSESSMENT_FUNCTION, "../functions/assessment/"),
        (WEBHOOKS_FUNCTION, "../functions/webhooks/"),
        (DOCS_FUNCTION, "../functions/docs/"),
    ],
)
def test_function_sources(resources: dict[str, Any], function: str, code_uri: str) -> None:
    props = resources[function]["Properties"]
    assert props["CodeUri"] == code_uri
    assert props["Handler"] == "app.lambda_handler"


def test_layer_build(resources: dict[str, Any]) -> None:
    layer = resources["CommonLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "../layers/common/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}


def test_docs_function_is_built_with_its_makefile(resources: dict[str, Any]) -> None:
    assert resources[DOCS_FUNCTION]["Metadata"] == {
        "BuildMethod": "makefile",
        "BuildArchitecture": "arm64",
    }


def test_docs_build_installs_the_locked_swagger_ui_and_copies_only_what_is_served() -> None:
    """functions/docs/Makefile as `sam build` runs it: `npm ci` (package-lock.json, integrity
    hashes, no install scripts), then the handler, the document, the page's files and the
    Swagger UI files the page loads; shown by make's dry run (nothing is installed here)."""
    docs = Path(__file__).resolve().parents[2] / "functions" / "docs"
    package = json.loads((docs / "package.json").read_text())
    version = package["dependencies"]["swagger-ui-dist"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "pinned to an exact version"
    lock = json.loads((docs / "package-lock.json").read_text())
    for name, entry in lock["packages"].items():
        if name:
            assert entry["integrity"].startswith("sha512-"), name
    assert lock["packages"]["node_modules/swagger-ui-dist"]["version"] == version
    done = subprocess.run(
        ["make", "--dry-run", "--always-make", "build-DocsFunction", "ARTIFACTS_DIR=/build"],
        cwd=docs,
        capture_output=True,
        text=True,
        check=True,
    )
    commands = done.stdout
    assert "npm ci --ignore-scripts" in commands
    assert 'cp app.py openapi.json "/build/"' in commands
    assert 'cp -R static "/build/static"' in commands
    copied = re.search(r'^cp ((?:vendor/\S+ )+)"/build/vendor/"$', commands, re.MULTILINE)
    assert copied, commands
    served = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-16x16.png", "favicon-32x32.png"}
    assert {path.removeprefix("vendor/") for path in copied.group(1).split()} == served | {
        "LICENSE",
        "NOTICE",
    }
    assert commands.index("npm ci") < commands.index("cp app.py")


def test_layer_leaves_out_what_the_runtime_ships() -> None:
    """The layer's build (layers/common/Makefile, as `sam build` runs it) installs the locked
    requirements for the functions' platform, then removes boto3, botocore, s3transfer and their
    dependencies (the Lambda runtime's own) and files no function reads, and compiles the
    bytecode; shown by make's dry run."""
    layer = Path(__file__).resolve().parents[2] / "layers" / "common"
    done = subprocess.run(
        ["make", "--dry-run", "--file", "Makefile", "build-CommonLayer", "ARTIFACTS_DIR=/build"],
        cwd=layer,
        capture_output=True,
        text=True,
        check=True,
    )
    commands = done.stdout
    install = commands.index("pip install")
    assert '--target "/build/python"' in commands
    assert "--platform manylinux2014_aarch64 --implementation cp --python-version 3.13" in commands
    assert "--require-hashes --requirement requirements.lock" in commands
    prune = commands.index("rm -rf boto3 boto3-*.dist-info botocore botocore-*.dist-info")
    pruned = commands[prune:].split("\n", 1)[0].split()[2:]
    runtime = ("boto3", "botocore", "s3transfer", "jmespath", "python_dateutil", "six")
    for name in runtime:
        assert f"{name}-*.dist-info" in pruned, name
    assert {"dateutil", "six.py", "jmespath", "bin"} <= set(pruned)
    assert "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.js" in pruned
    copy = commands.index('cp -R badgekit "/build/python/"')
    compile_all = commands.index("compileall")
    assert install < prune < copy < compile_all
    assert "--invalidation-mode unchecked-hash" in commands


# --- IAM --------------------------------------------------------------------------------------


def _role_statements(sam_output: dict[str, Any], function: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement the function's role grants, inline or through the template's own managed
    policies (the AWS-managed ones SAM adds are only the logging and tracing policies)."""
    res = sam_output["Resources"]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = res[role_id]
    assert role["Type"] == "AWS::IAM::Role"
    documents = [policy["PolicyDocument"] for policy in role["Properties"].get("Policies", [])]
    for arn in role["Properties"].get("ManagedPolicyArns", []):
        if isinstance(arn, str):
            assert arn in AWS_MANAGED_POLICIES, arn
            continue
        policy = res[arn["Ref"]]
        assert policy["Type"] == "AWS::IAM::ManagedPolicy"
        documents.append(policy["Properties"]["PolicyDocument"])
    return [statement for document in documents for statement in as_list(document["Statement"])]


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {action for s in statements for action in as_list(s["Action"])}


def test_function_policies_are_scoped(
    sam_output: dict[str, Any], functions: dict[str, Any]
) -> None:
    # The API functions; stream- and queue-driven functions have their own checks, and so has
    # DocsFunction (no data at all).
    for name, function in functions.items():
        if name not in FUNCTION_ROUTES or name == DOCS_FUNCTION:
            continue
        statements = _role_statements(sam_output, function)
        assert statements, name
        for statement in statements:
            assert statement["Effect"] == "Allow"
            actions = as_list(statement["Action"])
            resources = as_list(statement["Resource"])
            assert "*" not in resources, (name, statement)
            services = {action.split(":")[0] for action in actions}
            assert len(services) == 1, statement
            service = services.pop()
            assert service in {"dynamodb", "s3", "ssm", "kms", "sqs"}, statement
            assert not any("*" in action for action in actions), statement
            if service == "sqs":
                # Redeliver (webhooks.md §4) queues one attempt for the sender, nothing else.
                assert name == WEBHOOKS_FUNCTION, statement
                assert actions == ["sqs:SendMessage"]
                assert resources == [{"Fn::GetAtt": ["WebhookRetryQueue", "Arn"]}]
            elif service == "dynamodb" and "Condition" in statement:
                # The public function records signing keys' public halves, nothing else.
                assert name == PUBLIC_FUNCTION, statement
                assert actions == ["dynamodb:PutItem"]
                assert resources == [{"Fn::GetAtt": ["Table", "Arn"]}]
                assert statement["Condition"] == SIGNING_KEYS_ONLY
            elif service == "dynamodb":
                assert set(actions) <= TABLE_READ_ACTIONS | TABLE_WRITE_ACTIONS, statement
                assert resources == TABLE_RESOURCES, statement
            elif service == "s3":
                assert set(actions) <= {"s3:GetObject"} | IMAGE_WRITE_ACTIONS, statement
                assert resources == [IMAGE_OBJECTS], statement
            elif service == "ssm":
                assert set(actions) <= {"ssm:GetParameter", "ssm:GetParameters"}
                assert resources == [{"Fn::Sub": PARAMETER_ARN}]
            elif "kms:Sign" in actions:
                # Signing with the one signing key (docs/open-badges.md "Keys").
                assert name == PUBLIC_FUNCTION, statement
                assert actions == ["kms:Sign", "kms:GetPublicKey"]
                assert resources == [{"Fn::GetAtt": ["SigningKey", "Arn"]}]
            else:
                assert actions == ["kms:Decrypt"]
                conditions = statement["Condition"]["StringEquals"]
                assert conditions["kms:ViaService"] == {
                    "Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"
                }
                assert conditions["kms:EncryptionContext:PARAMETER_ARN"] == {
                    "Fn::Sub": PARAMETER_ARN
                }


def test_policies_are_shared_managed_policies(
    sam_output: dict[str, Any], functions: dict[str, Any]
) -> None:
    res = sam_output["Resources"]
    attached: dict[str, set[str]] = {}
    for name, function in functions.items():
        if name not in FUNCTION_ROUTES:
            continue  # stream- and queue-driven functions have their own checks
        role = res[function["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]
        inline = [
            statement
            for policy in role.get("Policies", [])
            for statement in as_list(policy["PolicyDocument"]["Statement"])
        ]
        # No per-function inline policy, except the webhook routes' right to queue a redelivery.
        expected_inline = {"sqs:SendMessage"} if name == WEBHOOKS_FUNCTION else set()
        assert _actions(inline) == expected_inline, name
        for arn in role["ManagedPolicyArns"]:
            if isinstance(arn, dict):
                attached.setdefault(arn["Ref"], set()).add(name)
    assert attached == {
        "ApiDataAccessPolicy": API_FUNCTIONS,
        "MasterSecretReadPolicy": API_FUNCTIONS,
        "PublicReadPolicy": {PUBLIC_FUNCTION},
        "SigningPolicy": {PUBLIC_FUNCTION},
    }


@pytest.mark.parametrize("function", sorted(API_FUNCTIONS))
def test_api_functions_can_use_the_table_the_images_and_the_master_secret(
    sam_output: dict[str, Any], functions: dict[str, Any], function: str
) -> None:
    actions = _actions(_role_statements(sam_output, functions[function]))
    assert (
        TABLE_READ_ACTIONS
        | TABLE_WRITE_ACTIONS
        | IMAGE_WRITE_ACTIONS
        | {"s3:GetObject", "ssm:GetParameter", "kms:Decrypt"}
    ) <= actions


def test_docs_function_has_no_data_access(
    sam_output: dict[str, Any], functions: dict[str, Any]
) -> None:
    """It reads only its own files: its role has nothing beyond the logging and tracing
    policies SAM adds (no table, no bucket, no secret)."""
    function = functions[DOCS_FUNCTION]
    assert _role_statements(sam_output, function) == []
    role = sam_output["Resources"][function["Properties"]["Role"]["Fn::GetAtt"][0]]
    assert set(role["Properties"]["ManagedPolicyArns"]) <= AWS_MANAGED_POLICIES


def test_public_function_is_read_only_without_the_secret(
    sam_output: dict[str, Any], functions: dict[str, Any]
) -> None:
    """Reads, but for signing with the signing key and recording its public half (a put in
    the keys' own partition: `test_function_policies_are_scoped`)."""
    statements = _role_statements(sam_output, functions[PUBLIC_FUNCTION])
    assert _actions(statements) == TABLE_READ_ACTIONS | {"s3:GetObject"} | SIGNING_ACTIONS
    resources = [resource for s in statements for resource in as_list(s["Resource"])]
    assert {"Fn::Sub": PARAMETER_ARN} not in resources


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("/badgekit/master-secret", True),
        ("/a/b/c/master_secret.v2", True),
        ("/x", True),
        ("badgekit/master-secret", False),
        ("/badgekit//master-secret", False),
        ("/badgekit/", False),
        ("", False),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/x", False),
    ],
)
def test_master_secret_parameter_name_must_be_a_full_path(
    template: dict[str, Any], name: str, valid: bool
) -> None:
    spec = template["Parameters"]["MasterSecretParameterName"]
    assert re.fullmatch(spec["AllowedPattern"], spec["Default"])
    assert bool(re.fullmatch(spec["AllowedPattern"], name)) is valid


# --- token policy (spec auth.md §3.1) ---------------------------------------------------------


def test_token_policy_parameters_default_to_strict(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    assert parameters["TokenPolicy"]["Type"] == "String"
    assert parameters["TokenPolicy"]["Default"] == "strict"
    assert parameters["TokenPolicy"]["AllowedValues"] == ["strict", "legacy"]
    lifetime = parameters["TokenMaxLifetime"]
    assert (lifetime["Type"], lifetime["Default"], lifetime["MinValue"]) == ("Number", 86400, 1)


@pytest.mark.parametrize("function", sorted(API_FUNCTIONS))
def test_api_functions_may_record_used_token_ids(
    sam_output: dict[str, Any], functions: dict[str, Any], function: str
) -> None:
    """Step 18's conditional PutItem on the table itself (not only its indexes)."""
    statements = _role_statements(sam_output, functions[function])
    assert any(
        "dynamodb:PutItem" in as_list(s["Action"])
        and {"Fn::GetAtt": ["Table", "Arn"]} in as_list(s["Resource"])
        for s in statements
    ), function


# --- signing key (docs/open-badges.md "Keys") ---------------------------------------------------


def test_signing_key_is_an_rsa_sign_verify_key_named_to_every_function(
    template: dict[str, Any],
) -> None:
    keys = of_type(template, "AWS::KMS::Key")
    assert list(keys) == ["SigningKey"]
    properties = keys["SigningKey"]["Properties"]
    assert (properties["KeySpec"], properties["KeyUsage"]) == ("RSA_2048", "SIGN_VERIFY")
    # The key policy leaves use to IAM (SigningPolicy); nobody outside the account.
    (statement,) = properties["KeyPolicy"]["Statement"]
    assert statement["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }
    aliases = of_type(template, "AWS::KMS::Alias")
    assert [a["Properties"]["TargetKeyId"] for a in aliases.values()] == [{"Ref": "SigningKey"}]
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["SIGNING_KEY_ID"] == {"Fn::GetAtt": ["SigningKey", "Arn"]}
    assert variables["KMS_ENDPOINT"] == ""


def test_only_the_public_function_can_sign(
    sam_output: dict[str, Any], functions: dict[str, Any]
) -> None:
    """kms:Sign is granted in SigningPolicy alone (no role's inline policy, no other managed
    policy), and SigningPolicy is attached to the public function's role alone."""
    granting = set()
    for name, resource in sam_output["Resources"].items():
        properties = resource.get("Properties", {})
        documents = [properties.get("PolicyDocument") or {}]
        documents += [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
        for document in documents:
            for statement in as_list(document.get("Statement", [])):
                if {"kms:Sign", "kms:GetPublicKey"} & set(as_list(statement["Action"])):
                    granting.add(name)
    assert granting == {"SigningPolicy"}
    holders = {
        name
        for name, resource in sam_output["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
        and {"Ref": "SigningPolicy"} in resource["Properties"].get("ManagedPolicyArns", [])
    }
    assert holders == {functions[PUBLIC_FUNCTION]["Properties"]["Role"]["Fn::GetAtt"][0]}
