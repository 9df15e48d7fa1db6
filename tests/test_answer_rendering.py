"""Every answer lands in every file as the value typed, whatever its characters.

Each trigger is rendered three times with the same options: with neutral placeholder answers, with
the same answers but zero-padded numbers, and with awkward answers (a YAML word as the slug, text
full of quotes, backslashes and YAML/TOML/Markdown syntax). Swapping the placeholders for the
awkward answers in everything the neutral render holds must give exactly what the awkward render
holds: the same YAML, TOML and JSON data, the same Python syntax trees, the same Markdown document,
the same text elsewhere. Wherever an answer lands unquoted or unescaped, its render parses
differently, whichever file and trigger that is. Zero-padded numbers must change no byte.
"""

from __future__ import annotations

import ast
import json
import tomllib
from collections.abc import Callable
from itertools import groupby
from pathlib import Path
from typing import Any

import hcl2
import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]  # cfn-lint ships no type hints
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.answer_checks import COPIER_YML, assert_rejected, rejection
from tests.conftest import VENV_BIN, make_validate, render, run, terraform_checks

TRIGGERS: list[str] = list(COPIER_YML["trigger"]["choices"].values())
API = {"http-api", "rest-api", "function-url"}
BATCH = {"sqs", "kinesis", "dynamodb-stream"}
IAC_TOOLS: list[str] = list(COPIER_YML["iac_tool"]["choices"].values())
# The renders of a trigger and tool are shared by its tests: one xdist group each keeps them
# together.
TRIGGER_PARAMS = [
    pytest.param(t, tool, id=f"{t}-{tool}", marks=pytest.mark.xdist_group(f"answers-{t}-{tool}"))
    for tool in IAC_TOOLS
    for t in TRIGGERS
]

# Placeholders: valid answers that occur nowhere else in a render and in none of each other.
NEUTRAL_SLUG = "zqslug"
NEUTRAL_TEXT = {
    "project_name": "Zqname",
    "description": "Zqdescription",
    "owner_team": "Zqowner",
    "cost_center": "Zqcost",
    "alarm_email": "zqmail@zqmail.example",
    "event_source_name": "zqsource",
    "event_detail_type": "Zqdetail",
    "jwt_issuer": "https://zqissuer.example",
    "jwt_audience": "zqaudience",
}
# Slugs that YAML 1.1 reads as null or booleans when they stand unquoted; one per render, in turn.
TRICKY_SLUGS = ["null", "yes", "off", "true"]
TRICKY_TEXT = {
    # Markdown emphasis and a YAML word.
    "project_name": "Null _Yes_ - 2",
    # A YAML sequence and a Markdown list when it starts a line; a YAML comment and mapping, TOML
    # and JSON escapes, a lone dollar, Markdown and HTML syntax, letters beyond ASCII.
    "description": (
        "- Prices C:\\data \"quoted\" 'orders' #1: {a} $x 100% & more, naïve Zürich"
        " *b* _i_ `c` <b>x</b> [l](u) a|b ~s~ &amp; \\* done"
    ),
    # YAML 1.1 sexagesimal numbers, mapping indicators, a boolean word, Markdown emphasis.
    "owner_team": "1:30 - on: @team=x/y+z.w _core_",
    "cost_center": "1_0:30",
    # A YAML directive indicator first, Markdown emphasis after it.
    "alarm_email": "%_on_call_+x@ex-ample.co.uk",
    # A YAML date; words long enough that no line of Python could hold them in 100 columns.
    "event_source_name": "2001-12-14",
    "event_detail_type": "Order Placed " * 9 + "1.50",
    # Percent-encoding in a URL; a YAML negative infinity.
    "jwt_issuer": "https://id.example.com:8443/a%20b/~x/",
    "jwt_audience": "-.inf",
}
PLAIN_NUMBERS = {"memory_size": "512", "reserved_concurrency": "10"}
PADDED_NUMBERS = {"memory_size": "0512", "reserved_concurrency": "010"}
BATCH_NUMBERS = (
    {"batch_size": "10", "batching_window_seconds": "1"},
    {"batch_size": "010", "batching_window_seconds": "01"},
)


def _options(trigger: str) -> dict[str, Any]:
    """Options of a trigger's renders: every other trigger flips the options that add resources."""
    options: dict[str, Any] = {"trigger": trigger}
    if TRIGGERS.index(trigger) % 2:
        options |= {
            "kms_key": "customer-managed",
            "vpc_enabled": True,
            "powertools_source": "layer",
        }
    if trigger == "http-api":
        options["api_auth"] = "jwt"
    return options


def _texts(trigger: str, texts: dict[str, str]) -> dict[str, str]:
    """The free-text answers the trigger asks."""
    skipped = set()
    if trigger != "eventbridge":
        skipped |= {"event_source_name", "event_detail_type"}
    if trigger != "http-api":
        skipped |= {"jwt_issuer", "jwt_audience"}
    return {name: value for name, value in texts.items() if name not in skipped}


def _numbers(trigger: str, padded: bool) -> dict[str, str]:
    timeout = ("0" if padded else "") + ("10" if trigger in API else "30")
    numbers = {**(PADDED_NUMBERS if padded else PLAIN_NUMBERS), "timeout": timeout}
    if trigger in BATCH:
        numbers |= BATCH_NUMBERS[padded]
    return numbers


def _tricky_slug(trigger: str) -> str:
    return TRICKY_SLUGS[TRIGGERS.index(trigger) % len(TRICKY_SLUGS)]


def _mapping(trigger: str) -> dict[str, str]:
    """Placeholder -> awkward answer, for everything a neutral render of the trigger holds."""
    texts = _texts(trigger, NEUTRAL_TEXT)
    return {NEUTRAL_SLUG: _tricky_slug(trigger)} | {
        texts[name]: TRICKY_TEXT[name] for name in texts
    }


_renders: dict[tuple[str, str, str], Path] = {}


def _render(
    trigger: str, iac_tool: str, kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The trigger rendered for the IaC tool with neutral, padded (numbers) or tricky answers,
    once per session."""
    if (trigger, iac_tool, kind) not in _renders:
        if kind == "tricky":
            answers = {"project_slug": _tricky_slug(trigger), **_texts(trigger, TRICKY_TEXT)}
        else:
            answers = {"project_slug": NEUTRAL_SLUG, **_texts(trigger, NEUTRAL_TEXT)}
        answers |= _options(trigger) | _numbers(trigger, padded=kind == "padded")
        answers["iac_tool"] = iac_tool
        destination = tmp_path_factory.mktemp(f"{trigger}-{iac_tool}-{kind}") / "project"
        _renders[trigger, iac_tool, kind] = render(destination, answers)
    return _renders[trigger, iac_tool, kind]


def _files(root: Path) -> dict[str, Path]:
    return {path.relative_to(root).as_posix(): path for path in root.rglob("*") if path.is_file()}


def _swap(text: str, mapping: dict[str, str]) -> str:
    for placeholder, answer in mapping.items():
        text = text.replace(placeholder, answer)
    return text


def _swapped(data: Any, mapping: dict[str, str]) -> Any:
    """Data with the mapping applied to every string in it, keys included (plain types only)."""
    if isinstance(data, dict):
        return {_swapped(key, mapping): _swapped(value, mapping) for key, value in data.items()}
    if isinstance(data, list):
        return [_swapped(item, mapping) for item in data]
    if isinstance(data, str):
        return _swap(str(data), mapping)
    return data


def _python(text: str, mapping: dict[str, str]) -> str:
    """The syntax tree of the source, with the mapping applied to every name and string in it."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        for field, value in ast.iter_fields(node):
            if isinstance(value, str):
                setattr(node, field, _swap(value, mapping))
    for node in ast.walk(tree):
        # A docstring is prose, wrapped to the line length wherever an answer ends: its words
        # must be the answer's, its line breaks may fall anywhere.
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0].value if node.body and isinstance(node.body[0], ast.Expr) else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                first.value = " ".join(first.value.split())
    # isort orders each block of imports by module name, so the package's imports and the tests
    # package's swap places with the name (order_processor before tests, yes after): each run of
    # import statements is compared in one canonical order.
    body: list[ast.stmt] = []
    for is_import, statements in groupby(
        tree.body, key=lambda n: isinstance(n, ast.Import | ast.ImportFrom)
    ):
        block = list(statements)
        body += sorted(block, key=ast.dump) if is_import else block
    tree.body = body
    return ast.dump(tree)


_MARKDOWN = MarkdownIt("commonmark").enable("table")


def _markdown_tokens(tokens: list[Token]) -> list[Any]:
    """Tokens as (type, tag, nesting, info, attributes, content, children); runs of text (escapes
    included) joined into one text token, and no raw source of inline content."""
    shown: list[Any] = []
    for token in tokens:
        if token.type in {"text", "text_special"}:  # text_special: a backslash escape
            if shown and shown[-1][0] == "text":
                shown[-1][5] += token.content
            else:
                shown.append(["text", "", 0, "", {}, token.content, None])
            continue
        content = None if token.type == "inline" else token.content
        children = _markdown_tokens(token.children) if token.children else None
        attrs = {key: str(value) for key, value in token.attrs.items()}
        shown.append([token.type, token.tag, token.nesting, token.info, attrs, content, children])
    return shown


def _markdown(text: str, mapping: dict[str, str]) -> Any:
    """The Markdown document as parsed: block and inline structure, and the text shown."""
    return _swapped(_markdown_tokens(_MARKDOWN.parse(text)), mapping)


def _yaml(text: str, mapping: dict[str, str]) -> Any:
    return _swapped(cfn_yaml.loads(text), mapping)


def _toml(text: str, mapping: dict[str, str]) -> Any:
    return _swapped(tomllib.loads(text), mapping)


def _json(text: str, mapping: dict[str, str]) -> Any:
    return _swapped(json.loads(text), mapping)


# HCL's template escapes: a literal "${" or "%{" in a string is written "$${" or "%%{".
_HCL_ESCAPES = {"$${": "${", "%%{": "%{"}


def _hcl(text: str, mapping: dict[str, str]) -> Any:
    """The HCL document as python-hcl2 parses it, strings unescaped, without its comments (prose
    wrapped wherever an answer ends, as in a docstring)."""
    options = hcl2.SerializationOptions(
        strip_string_quotes=True, explicit_blocks=False, with_comments=False
    )
    parsed = hcl2.loads(text, serialization_options=options)
    return _swapped(_swapped(parsed, _HCL_ESCAPES), mapping)


PARSERS: dict[str, Callable[[str, dict[str, str]], Any]] = {
    ".yml": _yaml,
    ".yaml": _yaml,
    ".toml": _toml,
    ".json": _json,
    ".py": _python,
    ".md": _markdown,
    ".tf": _hcl,
}


def _parsed(path: Path, mapping: dict[str, str]) -> Any:
    parser = PARSERS.get(path.suffix, _swap)
    parsed = parser(path.read_text(encoding="utf-8"), mapping)
    if path.name == ".copier-answers.yml":
        # Each render of a dirty working tree is a commit of its own.
        parsed.pop("_commit")
    return parsed


@pytest.mark.parametrize(("trigger", "iac_tool"), TRIGGER_PARAMS)
def test_awkward_answers_parse_as_typed_in_every_file(
    trigger: str, iac_tool: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """YAML, TOML, JSON, Python, Markdown and Terraform files hold the awkward answers as typed."""
    neutral = _files(_render(trigger, iac_tool, "neutral", tmp_path_factory))
    tricky = _files(_render(trigger, iac_tool, "tricky", tmp_path_factory))
    mapping = _mapping(trigger)
    assert {_swap(name, mapping) for name in neutral} == set(tricky)
    for name, path in neutral.items():
        expected = _parsed(path, mapping)
        actual = _parsed(tricky[_swap(name, mapping)], {})
        assert actual == expected, f"{trigger}: {name}"


@pytest.mark.parametrize(("trigger", "iac_tool"), TRIGGER_PARAMS)
def test_zero_padded_numbers_render_as_the_plain_numbers(
    trigger: str, iac_tool: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """memory_size=0512 (and every other number) renders byte for byte as memory_size=512."""
    plain = _files(_render(trigger, iac_tool, "neutral", tmp_path_factory))
    padded = _files(_render(trigger, iac_tool, "padded", tmp_path_factory))
    assert set(plain) == set(padded)
    differing = [
        name
        for name in plain
        if name != ".copier-answers.yml" and plain[name].read_bytes() != padded[name].read_bytes()
    ]
    assert differing == []


# The two triggers whose stacks hold every free-text answer: the rest share their common parts.
@pytest.mark.parametrize(
    ("trigger", "iac_tool"),
    [param for param in TRIGGER_PARAMS if param.values[0] in {"eventbridge", "http-api"}],
)
def test_awkward_render_passes_make_validate(
    trigger: str, iac_tool: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The rendered repo's own `make validate` (SAM's translation or CDK's synth under cdk-nag,
    then cfn-lint), or Terraform's `make fmt` and `make schema`, accepts the awkward answers'
    stack."""
    project = _render(trigger, iac_tool, "tricky", tmp_path_factory)
    if iac_tool == "terraform":
        result = terraform_checks(project)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "match hashicorp/aws" in result.stdout
        return
    result = make_validate(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cfn-lint: 0 findings" in result.stdout


@pytest.mark.parametrize(("trigger", "iac_tool"), TRIGGER_PARAMS)
def test_awkward_render_passes_ruff_check_and_format(
    trigger: str, iac_tool: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The rendered repo's `make lint` (ruff) accepts the awkward render's Python unchanged."""
    project = _render(trigger, iac_tool, "tricky", tmp_path_factory)
    for command in (["check"], ["format", "--check"]):
        result = run([str(VENV_BIN / "ruff"), *command, "--no-cache", "."], project)
        assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------- description validator ---


@pytest.mark.parametrize(
    "description",
    [
        TRICKY_TEXT["description"],
        'He said "hi" and left',
        "Ends with a backslash \\",
        "x" * 256,
        "Ten chars!",
    ],
)
def test_description_of_any_printable_line_is_accepted(description: str) -> None:
    assert rejection({"description": description}) == ""


@pytest.mark.parametrize(
    "description",
    [
        "Too short",
        "x" * 257,
        "Two lines\nof description",
        "A tab\tinside the text",
        "A line separator\u2028inside",
        "A C1 control\x85inside",
        " Starts with a space",
        "Ends with a space ",
        " " * 12,
    ],
)
def test_description_that_is_not_one_trimmed_line_of_10_to_256_characters_is_refused(
    description: str,
) -> None:
    assert_rejected("description", {"description": description}, "10-256 characters")


@pytest.mark.parametrize(
    "syntax", ["{{ project_name }}", "{% if true %}", "{# note #}", "${AWS::Region}"]
)
def test_description_with_template_syntax_is_refused(syntax: str) -> None:
    """The cookiecutter entry refuses it too; rendered, it would look like a template leftover."""
    assert_rejected("description", {"description": f"Prices {syntax} orders"}, "template syntax")
