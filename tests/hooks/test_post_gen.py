"""Behaviour of the post-generation validation hook (hooks/post_gen.py)."""

import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import HOOKS_DIR


@dataclass(frozen=True)
class HookRun:
    code: int
    out: str
    err: str


RunHook = Callable[[Mapping[str, str | bytes]], HookRun]

# A small but realistic rendered project: every check has something to look at.
CLEAN_TREE: dict[str, str | bytes] = {
    "README.md": "# orders-service\n\nRun `make test`.\n",
    "pyproject.toml": '[project]\nname = "orders-service"\n\n[tool.x]\nt = {a = {b = 1}}\n',
    "src/orders/handler.py": (
        "def handler(event: dict, context: object) -> dict:\n"
        '    return {"statusCode": 200, "body": {"ok": True}}\n'
    ),
    "events/sqs.json": '{"Records": [{"body": "{}", "attributes": {"x": "1"}}]}\n',
    "template.yaml": (
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Policies:\n"
        "        - Statement:\n"
        "            - Effect: Allow\n"
        "              Action: [sqs:ReceiveMessage, sqs:DeleteMessage]\n"
        "              Resource: !GetAtt Queue.Arn\n"
    ),
    ".github/workflows/ci.yml": (
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: make test\n"
        "        env:\n"
        "          TOKEN: ${{ secrets.TOKEN }}\n"
    ),
}

SAM_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-fn"
      Role: !GetAtt Role.Arn
      MemorySize: !If [IsProd, 1024, 256]
      Environment:
        Variables:
          SUBNET: !Select [0, !Split [",", !ImportValue shared-subnets]]
          SECRET: "{{resolve:secretsmanager:orders/db:SecretString:password}}"
  Include:
    Fn::Transform: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
"""


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def policy_yaml(statement: str) -> str:
    """A SAM function whose inline policy holds one statement (given as YAML flow mapping)."""
    return (
        "Resources:\n"
        "  Fn:\n"
        "    Properties:\n"
        "      Policies:\n"
        "        - Statement:\n"
        f"            - {statement}\n"
    )


@pytest.fixture
def run_hook(post_gen: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> RunHook:
    """Render `files` into tmp_path and run the hook's main() on it."""

    def run(files: Mapping[str, str | bytes]) -> HookRun:
        write_tree(tmp_path, files)
        code = post_gen.main([str(tmp_path)])
        captured = capsys.readouterr()
        return HookRun(code, captured.out, captured.err)

    return run


def test_clean_tree_passes_and_prints_next_steps(run_hook: RunHook, tmp_path: Path) -> None:
    result = run_hook(CLEAN_TREE)

    assert result.code == 0
    assert result.err == ""
    assert f"{len(CLEAN_TREE)} files checked in {tmp_path.resolve()}" in result.out
    assert f"cd {tmp_path.resolve()}" in result.out
    for step in ("make install", "make test", "make validate", "make deploy ENV=dev"):
        assert step in result.out


def test_destination_defaults_to_current_directory(
    post_gen: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, CLEAN_TREE)
    monkeypatch.chdir(tmp_path)

    assert post_gen.main([]) == 0


def test_missing_destination_is_a_usage_error(
    post_gen: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert post_gen.main([str(tmp_path / "absent")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_script_runs_as_a_command(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bad.py": "def broken(:\n"})

    result = subprocess.run(
        [sys.executable, str(HOOKS_DIR / "post_gen.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.startswith("post_gen: bad.py: ")


@pytest.mark.parametrize(
    ("rel", "content", "syntax"),
    [
        ("README.md", "# {{ project_name }}\n", "{{"),
        ("Makefile", "{% if use_docker %}\nbuild:\n{% endif %}\n", "{%"),
        ("src/app/config.py", "{# removed option #}\nX = 1\n", "{#"),
        ("template.yaml", "Description: {{ description }}\n", "{{"),
        ("ci.yml", "run: echo ${{ github.sha }} {{ project_name }}\n", "{{"),
    ],
)
def test_leftover_jinja_fails_naming_file(
    run_hook: RunHook, rel: str, content: str, syntax: str
) -> None:
    result = run_hook({rel: content})

    assert result.code == 1
    assert f"post_gen: {rel}: line 1: leftover Jinja syntax '{syntax}'" in result.err


def test_leftover_jinja_reported_once_per_file_with_count(run_hook: RunHook) -> None:
    result = run_hook({"notes.txt": "ok\n{{ a }}\n{{ b }} {{ c }}\n{% x %}\n"})

    assert result.err.splitlines() == [
        "post_gen: notes.txt: line 2: leftover Jinja syntax '{{' (and 2 more lines)"
    ]


@pytest.mark.parametrize(
    ("rel", "content"),
    [
        (
            ".github/workflows/ci.yml",
            "env:\n  T: ${{ secrets.X }}\n  F: ${{ format('{{0}}', 1) }}\n",
        ),
        ("src/app/data.py", 'NESTED = {"a": {"b": 1}}\nSETS = {frozenset({1})}\n'),
        ("src/app/report.py", 'def pct(x: float) -> str:\n    return f"{x:.1%}"\n'),
        ("events/nested.json", '{"a": {"b": {"c": [{"d": 1}]}}}'),
        ("pyproject.toml", "[tool.x]\ny = {a = {b = 1}}\n"),
        ("scripts/count.sh", 'args=("$@")\necho "${#args[@]} ${#}"\n'),
        ("template.yaml", "Password: '{{resolve:ssm-secure:/orders/db}}'\n"),
    ],
)
def test_brace_content_that_is_not_jinja_passes(run_hook: RunHook, rel: str, content: str) -> None:
    result = run_hook({rel: content})

    assert (result.code, result.err) == (0, "")


@pytest.mark.parametrize(
    ("rel", "reason"),
    [
        ("src/app/handler.py.jinja", "file name still ends in .jinja"),
        ("src/{{ package_name }}/handler.py", "path still contains Jinja syntax"),
        ("{% if use_docker %}Dockerfile{% endif %}", "path still contains Jinja syntax"),
    ],
)
def test_leftover_template_file_name_fails(run_hook: RunHook, rel: str, reason: str) -> None:
    result = run_hook({rel: "plain\n"})

    assert result.code == 1
    assert f"post_gen: {rel}: {reason}" in result.err


@pytest.mark.parametrize(
    ("rel", "content", "reason"),
    [
        ("src/app/handler.py", "def handler(event:\n", "Python syntax error"),
        ("events/bad.json", '{"a": 1,}\n', "invalid JSON"),
        ("template.yaml", "a: [1, 2\nb: 3\n", "invalid YAML"),
        ("config.yml", "a: 1\n---\n\tb: 2\n", "invalid YAML"),
    ],
)
def test_unparsable_file_fails_naming_file(
    run_hook: RunHook, rel: str, content: str, reason: str
) -> None:
    result = run_hook({rel: content})

    assert result.code == 1
    assert result.err.startswith(f"post_gen: {rel}: line ")
    assert reason in result.err


def test_python_is_compiled_without_writing_bytecode(run_hook: RunHook, tmp_path: Path) -> None:
    run_hook({"src/app/handler.py": "X = 1\n"})

    assert not list(tmp_path.rglob("*.pyc"))


def test_sam_template_with_short_form_intrinsics_passes(run_hook: RunHook) -> None:
    result = run_hook({"template.yaml": SAM_TEMPLATE})

    assert (result.code, result.err) == (0, "")


def test_multi_document_yaml_passes(run_hook: RunHook) -> None:
    result = run_hook({"k8s.yaml": "a: !Ref X\n---\nb: [1]\n---\n- c\n"})

    assert (result.code, result.err) == (0, "")


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("{Effect: Allow, Action: 's3:*', Resource: '*'}", "wildcard action 's3:*'"),
        ("{Effect: Allow, Action: '*', Resource: '*'}", "wildcard action '*'"),
        ("{Effect: Allow, Action: [sqs:SendMessage, 's3:Get*']}", "wildcard action 's3:Get*'"),
        ("{Action: !If [IsProd, 'kms:*', kms:Decrypt]}", "wildcard action 'kms:*'"),
        ("{Effect: Allow, NotAction: iam:PassRole, Resource: '*'}", "NotAction"),
    ],
)
def test_broad_iam_statement_in_yaml_fails(run_hook: RunHook, statement: str, reason: str) -> None:
    result = run_hook({"template.yaml": policy_yaml(statement)})

    assert result.code == 1
    assert result.err.startswith(
        "post_gen: template.yaml: /Resources/Fn/Properties/Policies/0/Statement/0: IAM statement"
    )
    assert reason in result.err


def test_broad_iam_statement_in_json_fails(run_hook: RunHook) -> None:
    policy = '{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'

    result = run_hook({"policies/app.json": policy})

    assert result.code == 1
    assert "post_gen: policies/app.json: /Statement/0: IAM statement allows" in result.err


def test_broad_iam_statement_names_its_yaml_document(run_hook: RunHook) -> None:
    result = run_hook({"p.yaml": "a: 1\n---\nStatement: [{Action: '*'}]\n"})

    assert "post_gen: p.yaml: document 2: /Statement/0: IAM statement" in result.err


@pytest.mark.parametrize(
    "statement",
    [
        "{Effect: Allow, Action: [sqs:ReceiveMessage], Resource: !GetAtt Queue.Arn}",
        "{Effect: Allow, Action: s3:GetObject, Resource: 'arn:aws:s3:::bucket/*'}",
        # Deny restricts: the standard "TLS only" bucket policy must stay allowed.
        "{Effect: Deny, Action: 's3:*', Condition: {Bool: {aws:SecureTransport: false}}}",
    ],
)
def test_scoped_or_deny_iam_statement_passes(run_hook: RunHook, statement: str) -> None:
    result = run_hook({"template.yaml": policy_yaml(statement)})

    assert (result.code, result.err) == (0, "")


@pytest.mark.parametrize(
    ("hcl", "reason"),
    [
        ('statement {\n  actions = ["s3:*"]\n}\n', "line 2: IAM actions allows wildcard action"),
        (
            'statement {\n  actions = [\n    "sqs:SendMessage",\n    "sqs:*",\n  ]\n}\n',
            "line 2: IAM actions allows wildcard action 'sqs:*'",
        ),
        ('statement {\n  not_actions = ["iam:*"]\n}\n', "line 2: IAM not_actions"),
        (
            'policy = jsonencode({\n  Statement = [{ Effect = "Allow", Action = "*" }]\n})\n',
            "line 2: IAM Action allows wildcard action '*'",
        ),
    ],
)
def test_terraform_wildcard_actions_fail(run_hook: RunHook, hcl: str, reason: str) -> None:
    result = run_hook({"infra/iam.tf": hcl})

    assert result.code == 1
    assert f"post_gen: infra/iam.tf: {reason}" in result.err


@pytest.mark.parametrize(
    "hcl",
    [
        'statement {\n  actions   = ["s3:GetObject"]\n  resources = ["arn:aws:s3:::b/*"]\n}\n',
        'statement {\n  effect  = "Deny"\n  actions = ["s3:*"]\n  condition {\n  }\n}\n',
    ],
)
def test_terraform_scoped_or_deny_actions_pass(run_hook: RunHook, hcl: str) -> None:
    result = run_hook({"infra/iam.tf": hcl})

    assert (result.code, result.err) == (0, "")


def test_binary_file_is_skipped(run_hook: RunHook) -> None:
    # Would fail as JSON and as a Jinja leftover if it were read as text.
    result = run_hook({"assets/logo.json": b"\x89PNG\x00\x00{{ not json"})

    assert (result.code, result.err) == (0, "")


def test_non_utf8_text_fails(run_hook: RunHook) -> None:
    result = run_hook({"README.md": "caf\u00e9\n".encode("latin-1")})

    assert result.code == 1
    assert "post_gen: README.md: not valid UTF-8 text" in result.err


@pytest.mark.parametrize("skipped", [".venv", ".git", "node_modules", "__pycache__", "cdk.out"])
def test_tool_directories_are_ignored(run_hook: RunHook, skipped: str) -> None:
    result = run_hook({f"{skipped}/lib/bad.py": "def broken(:\n{{ x }}\n", "ok.py": "X = 1\n"})

    assert result.code == 0
    assert "1 files checked" in result.out


def test_every_problem_reported_on_its_own_line(run_hook: RunHook) -> None:
    result = run_hook(
        {
            "a.py": "def broken(:\n",
            "b.json": "{",
            "c.md": "{{ name }}\n",
            "d.yaml": "Statement: [{Action: '*'}]\n",
        }
    )

    assert result.code == 1
    assert result.out == ""
    lines = result.err.splitlines()
    assert [line.split(": ")[1] for line in lines] == ["a.py", "b.json", "c.md", "d.yaml"]
    assert all(line.startswith("post_gen: ") for line in lines)


def test_help_and_usage_errors(post_gen: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert post_gen.main(["--help"]) == 0
    assert "DEST" in capsys.readouterr().out
    assert post_gen.main(["--bogus"]) == 2
    assert post_gen.main(["a", "b"]) == 2
    assert capsys.readouterr().err.count("usage: post_gen.py") == 2


def test_yaml_parsed_with_libyaml_when_available(post_gen: ModuleType) -> None:
    # The pure-Python parser is most of the hook's run time on a real project.
    yaml = sys.modules["yaml"]  # loaded by the hook module
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML built without libyaml")
    assert issubclass(post_gen.CloudFormationLoader, yaml.CSafeLoader)


def test_hook_stays_cheap_to_start(tmp_path: Path) -> None:
    # The hook runs in a fresh interpreter after every render, which is budgeted at twice
    # copier's start-up; these modules would roughly double the hook's own start-up.
    write_tree(tmp_path, CLEAN_TREE)

    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(HOOKS_DIR / "post_gen.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    # -X importtime lines end in "| <indent><module>"
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "yaml" in imported
    assert not {"argparse", "dataclasses", "inspect", "pathlib", "typing"} & imported
