"""One settings reader: every value the environment can change is declared in cantondex/settings.py.

The rest of the code reads `django.conf.settings`, never the environment; the documentation's configuration
page (docs/configuration.md) lists exactly what settings.py reads.
"""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_FILE = ROOT / "cantondex" / "settings.py"
SKIPPED_DIRS = {".git", ".venv", "node_modules", "staticfiles", "site", "__pycache__", ".pytest_cache"}  # site: make docs
SOURCE_SUFFIXES = {".py", ".js", ".html", ".md", ".ini", ".txt"}
SOURCE_NAMES = {"Makefile", "run"}  # run: .ci/run
# Names that stand for any setting in help texts (bench's `--set CDX_NAME=VALUE`).
PLACEHOLDERS = {"CDX_NAME"}
CDX_NAME = re.compile(r"\bCDX_[A-Z0-9_]+")


def source_files() -> list[Path]:
    files = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [name for name in dirs if name not in SKIPPED_DIRS]
        for name in names:
            path = Path(folder) / name
            if path.suffix in SOURCE_SUFFIXES or name in SOURCE_NAMES:
                files.append(path)
    return files


def python_files() -> list[Path]:
    return [path for path in source_files() if path.suffix == ".py"]


def names_read_by_settings() -> set[str]:
    """The environment variables cantondex/settings.py reads: the first argument of every `env(...)` /
    `env.<type>(...)` call."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        reader = func if isinstance(func, ast.Name) else func.value if isinstance(func, ast.Attribute) else None
        if isinstance(reader, ast.Name) and reader.id == "env":
            first = node.args[0]
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), f"settings.py line {node.lineno}: name the variable literally"
            names.add(first.value)
    return names


def test_every_cdx_name_in_the_code_and_docs_is_a_setting():
    undeclared: dict[str, list[str]] = {}
    for path in source_files():
        for name in set(CDX_NAME.findall(path.read_text(errors="replace"))) - PLACEHOLDERS:
            if name.endswith("_"):  # a prefix, as in `startswith("CDX_WS_")`
                declared = any(setting.startswith(name) for setting in dir(settings))
            else:
                declared = hasattr(settings, name)
            if not declared:
                undeclared.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert not undeclared, f"used but not declared in cantondex/settings.py: {undeclared}"


def test_every_cdx_setting_is_read_from_the_environment_variable_of_its_name():
    read = names_read_by_settings()
    declared = {name for name in dir(settings) if name.startswith("CDX_")}
    assert declared <= read, f"CDX_ settings not read from the environment: {declared - read}"
    assert {name for name in read if name.startswith("CDX_")} <= declared


def _environment_reads(tree: ast.AST):
    """(line, argument) of every os.environ.get(...), os.getenv(...) and os.environ[...] read in `tree`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            text = ast.unparse(node.func)
            if text in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
                yield node.lineno, node.args[0]
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and ast.unparse(node.value) in ("os.environ", "environ")
        ):
            yield node.lineno, node.slice


def test_no_module_but_settings_reads_settings_from_the_environment():
    # Writing the environment for a child process (bench, end-to-end daphne) is fine; reading a setting
    # from it, or reading a name only known at run time, is a second settings reader.
    offenders = []
    for path in python_files():
        if path == SETTINGS_FILE:
            continue
        source = path.read_text()
        if "environ" not in source and "getenv" not in source and "Env" not in source:
            continue
        tree = ast.parse(source)
        for line, argument in _environment_reads(tree):
            literal = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            if not literal or argument.value.startswith(("CDX_", "DJANGO_")):
                offenders.append(f"{path.relative_to(ROOT)}:{line} reads {ast.unparse(argument)}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("environ.Env", "Env"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} makes a second django-environ reader")
    assert not offenders, "\n".join(offenders)


def test_the_configuration_page_lists_exactly_what_settings_reads():
    page = (ROOT / "docs" / "configuration.md").read_text()
    listed = set(re.findall(r"`((?:CDX|DJANGO)_[A-Z0-9_]+|DATABASE_URL|REDIS_URL)`", page))
    read = names_read_by_settings()
    assert read - listed == set(), "read by settings.py, missing from docs/configuration.md"
    assert listed - read == set(), "in docs/configuration.md, not read by settings.py"


@pytest.mark.parametrize(
    "value, on", [("1", True), ("true", True), ("yes", True), ("y", True), ("on", True), ("0", False), ("no", False), ("off", False)]
)
def test_every_boolean_follows_one_truth_rule(value, on):
    """DJANGO_DEBUG and CDX_IN_PROCESS_JOBS read the same text the same way (settings loaded in a fresh process)."""
    script = (
        "import json, cantondex.settings as s;"
        "print(json.dumps([s.DEBUG, s.CDX_IN_PROCESS_JOBS]))"
    )
    env = {**os.environ, "DJANGO_DEBUG": value, "CDX_IN_PROCESS_JOBS": value, "DJANGO_SECRET_KEY": "k" * 50}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [on, on]


def test_tests_change_settings_only_through_the_settings_fixture():
    """No override_settings / modify_settings, no monkeypatched environment: one way, pytest-django's fixture
    (the root conftest.py sets the test process's own settings once, before any test)."""
    offenders = []
    for path in python_files():
        if ROOT / "tests" not in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if isinstance(node, ast.Name | ast.Attribute) and name in ("override_settings", "modify_settings", "setenv", "delenv"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {name}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_logged_traceback_shows_where_it_failed_but_no_local_variable(log_format):
    """A frame's locals can hold a password (a connection string): neither format writes them (a fresh process,
    as the format is chosen when settings load)."""
    script = (
        "import logging, logging.config, cantondex.settings as s;"
        "logging.config.dictConfig(s.LOGGING)\n"
        "def connect():\n"
        "    conninfo = 'password=hunter2'\n"
        "    raise ConnectionError('the database went away')\n"
        "try:\n"
        "    connect()\n"
        "except ConnectionError:\n"
        "    logging.getLogger('probe').exception('could not connect')\n"
    )
    env = {**os.environ, "CDX_LOG_FORMAT": log_format, "DJANGO_SECRET_KEY": "k" * 50}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "could not connect" in result.stderr and "the database went away" in result.stderr
    assert "connect" in result.stderr.split("could not connect", 1)[1], "the failing frame is named"
    assert "hunter2" not in result.stderr
