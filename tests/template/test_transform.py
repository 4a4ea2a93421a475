"""Checks of infra/template.yaml, on the template as written and after the SAM transform."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.template

FUNCTION = "ContainersFunction"

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
CONTAINER_METHOD_ROUTES = sorted(
    (method, path) for path, methods in CONTAINER_ROUTES.items() for method in methods
)

REQUIRED_ENV_VARS = {
    "TABLE_NAME",
    "MASTER_SECRET_PARAMETER",
    "PUBLIC_BASE_URL",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
}
PARAMETER_ARN = (
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
    "${MasterSecretParameterName}"
)
TABLE_ARN = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}"
ALLOWED_TABLE_RESOURCES = {TABLE_ARN, TABLE_ARN + "/index/*", TABLE_ARN + "/stream/*"}
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


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


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


@pytest.mark.parametrize(("method", "path"), CONTAINER_METHOD_ROUTES)
def test_documented_route_invokes_containers_function(
    routes: dict[tuple[str, str], str], method: str, path: str
) -> None:
    assert routes.get((method, path)) == FUNCTION


@pytest.mark.parametrize("path", sorted(CONTAINER_ROUTES))
def test_container_path_has_exactly_its_methods_plus_any(
    routes: dict[tuple[str, str], str], path: str
) -> None:
    methods = {method for method, route_path in routes if route_path == path}
    assert methods == CONTAINER_ROUTES[path] | {"ANY"}
    assert routes[("ANY", path)] == FUNCTION


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
    # Each documented method, ANY on each of those paths, and the /{proxy+} catch-all.
    assert api_events[FUNCTION] == len(CONTAINER_METHOD_ROUTES) + len(CONTAINER_ROUTES) + 1


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
    }
    attributes = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert attributes == dict.fromkeys(["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"], "S")


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
        assert variables["MASTER_SECRET_PARAMETER"] == {"Ref": "MasterSecretParameterName"}
        assert variables["PUBLIC_BASE_URL"] == {"Ref": "PublicBaseUrl"}
        assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}


def test_containers_function_source_and_layer_build(resources: dict[str, Any]) -> None:
    function = resources[FUNCTION]["Properties"]
    assert function["CodeUri"] == "../functions/containers/"
    assert function["Handler"] == "app.lambda_handler"
    layer = resources["CommonLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "../layers/common/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}


# --- IAM --------------------------------------------------------------------------------------


def _role_statements(sam_output: dict[str, Any], function: dict[str, Any]) -> list[dict[str, Any]]:
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = sam_output["Resources"][role_id]
    assert role["Type"] == "AWS::IAM::Role"
    assert set(role["Properties"].get("ManagedPolicyArns", [])) <= {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    }
    return [
        statement
        for policy in role["Properties"].get("Policies", [])
        for statement in as_list(policy["PolicyDocument"]["Statement"])
    ]


def test_function_policies_are_scoped(
    sam_output: dict[str, Any], functions: dict[str, Any]
) -> None:
    for name, function in functions.items():
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
            assert service in {"dynamodb", "ssm", "kms"}, statement
            assert not any("*" in action for action in actions), statement
            if service == "dynamodb":
                for resource in resources:
                    text, variables = resource["Fn::Sub"]
                    assert text in ALLOWED_TABLE_RESOURCES, resource
                    assert variables == {"tableName": {"Ref": "Table"}}, resource
            elif service == "ssm":
                assert set(actions) <= {"ssm:GetParameter", "ssm:GetParameters"}
                assert resources == [{"Fn::Sub": PARAMETER_ARN}]
            else:
                assert actions == ["kms:Decrypt"]
                conditions = statement["Condition"]["StringEquals"]
                assert conditions["kms:ViaService"] == {
                    "Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"
                }
                assert conditions["kms:EncryptionContext:PARAMETER_ARN"] == {
                    "Fn::Sub": PARAMETER_ARN
                }


def test_containers_function_can_use_the_table_and_the_master_secret(
    sam_output: dict[str, Any], functions: dict[str, Any]
) -> None:
    statements = _role_statements(sam_output, functions[FUNCTION])
    actions = {action for s in statements for action in as_list(s["Action"])}
    assert {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "ssm:GetParameter",
        "kms:Decrypt",
    } <= actions


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
