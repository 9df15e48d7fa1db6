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
    for step in ("make install", "make test", "make check", "make deploy ENV=dev"):
        assert step in result.out


def test_next_steps_name_the_sam_validation_for_a_sam_project(run_hook: RunHook) -> None:
    result = run_hook(CLEAN_TREE)

    check = "make check       # what CI runs: lint, type check, tests, SAM translate"
    assert check in result.out
    assert "cdk" not in result.out


def test_next_steps_name_the_cdk_synth_for_a_cdk_project(run_hook: RunHook) -> None:
    tree = {k: v for k, v in CLEAN_TREE.items() if k != "template.yaml"}
    result = run_hook({**tree, "cdk.json": '{"app": "python app.py"}\n'})

    assert result.code == 0
    check = "make check       # what CI runs: lint, type check, tests, cdk synth"
    assert check in result.out
    assert "SAM" not in result.out


@pytest.mark.parametrize(
    ("tool_file", "build", "deploy"),
    [
        ("template.yaml", "  make build\n", "  make deploy ENV=dev\n"),
        ("cdk.json", "  make cdk-cli build", "  make deploy ENV=dev\n"),
        (
            "terraform/versions.tf",
            "  make build\n",
            "  make deploy ENV=dev TF_STATE_BUCKET=<bucket>",
        ),
    ],
)
def test_next_steps_build_before_the_deploy_that_never_builds(
    run_hook: RunHook, tool_file: str, build: str, deploy: str
) -> None:
    tree = {k: v for k, v in CLEAN_TREE.items() if k != "template.yaml"}
    result = run_hook({**tree, tool_file: "{}\n"})

    assert result.code == 0, result.err
    assert build in result.out
    assert result.out.index(build) < result.out.index(deploy)


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
        ("README.md", "# {{ project_name }}\n", "{{ project_name"),
        ("README.md", "# {{project_name|title}}\n", "{{project_name"),
        ("Makefile", "{% if use_docker %}\nbuild:\n{% endif %}\n", "{% if"),
        ("Makefile", "{%- for x in y -%}\n", "{%- for"),
        ("Makefile", "{%endif%}\n", "{%endif"),
        ("src/app/config.py", "{# removed option #}\nX = 1\n", "{#"),
        ("template.yaml", "Description: {{- description }}\n", "{{- description"),
        ("ci.yml", "run: echo ${{ github.sha }} {{ project_name }}\n", "{{ project_name"),
        ("out.txt", "at {{ _copier_conf.dst_path }}\n", "{{ _copier_conf"),
    ],
)
def test_leftover_jinja_fails_naming_file(
    run_hook: RunHook, rel: str, content: str, syntax: str
) -> None:
    result = run_hook({rel: content})

    assert result.code == 1
    assert f"post_gen: {rel}: line 1: leftover Jinja syntax '{syntax}'" in result.err


def test_leftover_jinja_reported_once_per_file_with_count(run_hook: RunHook) -> None:
    result = run_hook(
        {"notes.txt": "ok\n{{ trigger }}\n{{ runtime }} {{ iac_tool }}\n{% set x = 1 %}\n"}
    )

    assert result.err.splitlines() == [
        "post_gen: notes.txt: line 2: leftover Jinja syntax '{{ trigger' (and 2 more lines)"
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
        # A user's own braces: f-string escapes, literal doubled braces, other template
        # languages, Python's % formatting, and names copier.yml does not define.
        ("src/app/logic.py", 'def tag(name: str) -> str:\n    return f"{{{name}}}"\n'),
        ("src/app/logic.py", 'def tag(timeout: int) -> str:\n    return f"{{{timeout}}}"\n'),
        ("src/app/text.py", 'PLACEHOLDER = "{{literal}}"\nOTHER = "{{ user_name }}"\n'),
        ("chart/values.tpl", "name: {{ .Values.name }}\n{{- range .Items }}x{{ end }}\n"),
        ("src/app/fmt.py", 'LINE = "{%s}" % 1\nPCT = "{%d%%}" % 2\n'),
    ],
)
def test_brace_content_that_is_not_jinja_passes(run_hook: RunHook, rel: str, content: str) -> None:
    result = run_hook({rel: content})

    assert (result.code, result.err) == (0, "")


def test_leftover_names_come_from_the_given_templates_copier_yml(
    post_gen: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template"
    template.mkdir()
    (template / "copier.yml").write_text("_subdirectory: t\ngreeting:\n  type: str\n")
    write_tree(tmp_path / "dest", {"a.md": "{{ greeting }}\n", "b.md": "{{ project_name }}\n"})

    code = post_gen.main(["--template", str(template), str(tmp_path / "dest")])

    assert code == 1
    assert capsys.readouterr().err.splitlines() == [
        "post_gen: a.md: line 1: leftover Jinja syntax '{{ greeting'"
    ]


def test_unreadable_template_is_a_usage_error(
    post_gen: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = post_gen.main([f"--template={tmp_path / 'absent'}", str(tmp_path)])

    assert code == 2
    assert "cannot read copier.yml" in capsys.readouterr().err


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
        ("pyproject.toml", '[project]\nname = "a"\ndescription = "two\nlines"\n', "invalid TOML"),
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
    result = run_hook(
        {f"{skipped}/lib/bad.py": "def broken(:\n{{ project_name }}\n", "ok.py": "X = 1\n"}
    )

    assert result.code == 0
    assert "1 files checked" in result.out


@pytest.mark.parametrize("venv", [".tools", "env", "deep/er/venv"])
def test_a_virtual_environment_under_any_name_is_ignored(run_hook: RunHook, venv: str) -> None:
    result = run_hook(
        {
            f"{venv}/pyvenv.cfg": "home = /usr/bin\n",
            f"{venv}/lib/site-packages/pkg/bad.py": "def broken(:\n{% if x %}\n",
            "ok.py": "X = 1\n",
        }
    )

    assert (result.code, result.err) == (0, "")
    assert "1 files checked" in result.out


def test_pyvenv_cfg_at_the_project_root_does_not_hide_the_project(run_hook: RunHook) -> None:
    result = run_hook({"pyvenv.cfg": "home = /usr/bin\n", "bad.py": "def broken(:\n"})

    assert result.code == 1


def test_every_problem_reported_on_its_own_line(run_hook: RunHook) -> None:
    result = run_hook(
        {
            "a.py": "def broken(:\n",
            "b.json": "{",
            "c.md": "{{ package_name }}\n",
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
    # typing is not listed: tomllib, which reads the tree's pyproject.toml, imports it (~3 ms).
    assert not {"argparse", "dataclasses", "inspect", "pathlib", "subprocess"} & imported


# ------------------------------------------- Python judged by the project's version, not the host's

# Valid on 3.12+ only (PEP 695): the generated code's kind of syntax that 3.10/3.11 reject.
PY312 = "type Pair[T] = tuple[T, T]\n\n\ndef first[T](pair: Pair[T]) -> T:\n    return pair[0]\n"


@pytest.mark.parametrize(
    ("text", "expected"), [("3.12\n", (3, 12)), ("3.13.0", (3, 13)), ("pypy3\n", None)]
)
def test_project_python_read_from_python_version(
    post_gen: ModuleType, tmp_path: Path, text: str, expected: tuple[int, int] | None
) -> None:
    (tmp_path / ".python-version").write_text(text)

    assert post_gen.project_python(str(tmp_path)) == expected


def test_project_without_python_version_is_judged_by_the_host(post_gen: ModuleType) -> None:
    problems, note = post_gen.compile_sources([("a.py", "def broken(:\n")], None, (3, 10))

    assert list(problems) == ["a.py"]
    assert note is None


def test_host_older_than_project_delegates_to_a_found_interpreter(
    post_gen: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first candidate does not start (a stale shim); the next one, this interpreter, does.
    monkeypatch.setattr(
        post_gen, "find_pythons", lambda target: iter(["/nonexistent/python3.12", sys.executable])
    )
    sources = [("ok.py", PY312), ("bad.py", "X = 1\ndef broken(:\n")]

    problems, note = post_gen.compile_sources(sources, (3, 12), (3, 11))

    assert list(problems) == ["bad.py"]
    assert len(problems["bad.py"]) == 1
    assert problems["bad.py"][0].startswith("line 2: Python syntax error:")
    assert note == (
        f"Python files compiled by {sys.executable} (the project's Python is 3.12; "
        "copier runs on 3.11)."
    )


def test_interpreter_older_than_project_is_not_trusted(
    post_gen: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    newer = (sys.version_info[0], sys.version_info[1] + 1)
    monkeypatch.setattr(post_gen, "find_pythons", lambda target: iter([sys.executable]))

    problems, note = post_gen.compile_sources([("bad.py", "def broken(:\n")], newer, (3, 10))

    assert problems == {}
    assert note is not None
    assert note.startswith(
        f"Python syntax NOT checked: the project's Python is {newer[0]}.{newer[1]}, "
        "copier runs on 3.10, and no Python"
    )


def test_no_interpreter_found_skips_the_syntax_check_and_says_so(
    run_hook: RunHook, post_gen: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(post_gen, "find_pythons", lambda target: iter([]))

    result = run_hook({".python-version": "3.99\n", "src/app/new.py": "match x:\n  case 1: ...\n"})

    assert (result.code, result.err) == (0, "")
    assert (
        "post_gen: note: Python syntax NOT checked: the project's Python is 3.99, copier runs on "
        f"{sys.version_info[0]}.{sys.version_info[1]}, and no Python 3.99 or newer was found"
    ) in result.out
    assert "`make check` in the project compiles it." in result.out


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_find_pythons_looks_on_path_then_in_pyenv_versions(
    post_gen: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyenv = tmp_path / "pyenv"
    on_path = _executable(tmp_path / "bin" / "python3.13")
    _executable(pyenv / "shims" / "python3.12")  # a shim: pyenv's versions are read instead
    _executable(pyenv / "versions" / "3.11.7" / "bin" / "python3.11")  # too old
    newest = _executable(pyenv / "versions" / "3.14.0" / "bin" / "python3.14")
    oldest = _executable(pyenv / "versions" / "3.12.1" / "bin" / "python3.12")
    _executable(pyenv / "versions" / "3.13-dev" / "bin" / "python3.13")  # not a release
    monkeypatch.setenv("PATH", f"{pyenv / 'shims'}:{tmp_path / 'bin'}")  # no uv either
    monkeypatch.setenv("PYENV_ROOT", str(pyenv))

    assert list(post_gen.find_pythons((3, 12))) == [str(on_path), str(oldest), str(newest)]


# ------------------------------------------------------------------------------------------ TOML


def test_toml_is_not_parsed_on_a_host_without_tomllib(
    run_hook: RunHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tomllib", None)  # as on Python 3.10: import fails

    result = run_hook({"pyproject.toml": "[project\n"})

    assert (result.code, result.err) == (0, "")
    assert "post_gen: note: TOML files NOT parsed: Python 3.10 has no tomllib." in result.out


# ------------------------------------------------------------- a project that already existed


def _git(cwd: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


# A team's own deliberately malformed event, beside the rendered ones.
TEAM_FILE = {"events/truncated.json": '{"Records": [\n'}


def test_a_project_whose_answers_are_committed_is_not_judged(
    run_hook: RunHook, tmp_path: Path
) -> None:
    write_tree(tmp_path, {**CLEAN_TREE, ".copier-answers.yml": "_commit: v0.1.0\n"})
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "render")

    result = run_hook(TEAM_FILE)

    assert (result.code, result.err) == (0, "")
    assert result.out.startswith(
        f"post_gen: note: {tmp_path.resolve()} already held this project (.copier-answers.yml "
        "is tracked by git)"
    )


def test_a_new_project_inside_a_git_work_tree_is_judged(run_hook: RunHook, tmp_path: Path) -> None:
    # `make new` renders under the template's own repository: the answers file is untracked.
    _git(tmp_path, "init", "-q")

    result = run_hook({**TEAM_FILE, ".copier-answers.yml": "_commit: v0.1.0\n"})

    assert result.code == 1
    assert "post_gen: events/truncated.json: line 2: invalid JSON" in result.err
