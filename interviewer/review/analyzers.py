"""The analyzers a reviewer runs, each turned into `Finding`s with a file, a line, a rule, a
severity and one sentence each of why and fix.

- bandit (its Python API, `# nosec` ignored: a reviewer reads past it) for Python security;
- detect-secrets (its Python API, offline plugins and filters only: the plugins' `verify`, which
  calls the providers' APIs, is never enabled, and `# pragma: allowlist secret` is not honoured);
- dependency hygiene: unpinned or unhashed requirements, no lock file, no dependency file;
- request flow: data from an HTTP request reaching code execution, or whole request bodies
  written to logs; debug mode switched on in code;
- code-quality signals: tests, README, type hints, long functions, bare `except:`, syntax errors.

All of them read the files from the review's private folder; nothing is imported or run.
"""

from __future__ import annotations

import ast
import logging
import re
import threading
import tomllib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from interviewer.core.findings import Finding, ReviewStats, Severity
from interviewer.review.intake import SourceFile, Submission
from interviewer.review.notebooks import CellLine, notebook_code
from interviewer.review.redact import Redactor

# --- where a finding is --------------------------------------------------------------------------


@dataclass
class ScanTarget:
    """A Python source as the analyzers read it: a .py file, or a notebook's code cells written
    out as one file whose lines map back to (cell, line)."""

    file: SourceFile
    disk: Path
    text: str
    cells: tuple[CellLine, ...] | None = None
    _tree: ast.Module | None = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    def tree(self) -> ast.Module | None:
        """The parsed source (once, for every check), or None when it does not parse."""
        if not self._parsed:
            self._parsed = True
            try:
                self._tree = ast.parse(self.text)
            except (SyntaxError, ValueError):
                self._tree = None
        return self._tree

    def place(self, line: int | None) -> tuple[int | None, int | None]:
        """(line, cell) in the submission's own terms."""
        if self.cells is None or line is None:
            return line, None
        if 1 <= line <= len(self.cells):
            c = self.cells[line - 1]
            return c.line, c.cell
        return None, None


def scan_targets(sub: Submission, scan_dir: Path) -> tuple[list[ScanTarget], list[Finding]]:
    """Every Python source to analyze; notebooks' code goes to `scan_dir` (inside the review's
    private folder). Notebook cells that do not parse are findings of their own."""
    targets: list[ScanTarget] = []
    notes: list[Finding] = []
    for f in sub.files:
        if f.kind == "python":
            targets.append(ScanTarget(file=f, disk=sub.disk_path(f), text=f.text))
        elif f.kind == "notebook":
            code = notebook_code(f)
            disk = scan_dir / (f.path + ".py")
            disk.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            disk.write_text(code.text, encoding="utf-8")
            targets.append(ScanTarget(file=f, disk=disk, text=code.text, cells=tuple(code.lines)))
            for n in code.unparsable:
                notes.append(Finding(
                    file=f.path, cell=n, rule="cell-syntax-error", severity="low",
                    tool="quality", message="This cell is not valid Python, so it fails when "
                    "the notebook runs top to bottom and could not be analyzed.",
                    fix="Fix or remove the cell so the notebook runs from a clean kernel."))
    return targets, notes


# --- bandit ---------------------------------------------------------------------------------------

# rule -> (severity or None for bandit's own, why, fix). Rules missing here keep bandit's
# severity and text.
BANDIT_RULES: dict[str, tuple[Severity | None, str, str]] = {
    "B101": ("low", "assert is removed when Python runs with -O, so it cannot guard "
             "production logic.", "Raise an explicit exception for checks that must hold."),
    "B102": ("high", "exec runs whatever code it is given.",
             "Remove exec and call the code you mean directly."),
    "B104": ("medium", "Binding to 0.0.0.0 exposes the service on every network interface, "
             "not only to this machine.", "Bind to 127.0.0.1 by default and take the host from "
             "configuration when deploying behind a proxy."),
    "B105": ("high", "A password-like value is hard-coded in the source (value redacted).",
             "Read it from an environment variable or a secret store and keep only a "
             "placeholder in .env.example."),
    "B106": ("high", "A password-like value is passed as a hard-coded argument (value "
             "redacted).", "Read it from an environment variable or a secret store."),
    "B107": ("high", "A function has a hard-coded password-like default (value redacted).",
             "Take it from configuration, with no secret default."),
    "B108": ("medium", "A fixed path in /tmp can be pre-created or read by other users.",
             "Use tempfile.mkstemp or TemporaryDirectory."),
    "B110": ("low", "try/except/pass swallows every error, so failures go unnoticed.",
             "Catch the specific exception and log or handle it."),
    "B112": ("low", "try/except/continue skips errors silently.",
             "Catch the specific exception and count or log what was skipped."),
    "B113": ("low", "A request without a timeout can hang a worker forever.",
             "Pass timeout= to every outgoing request."),
    "B201": ("high", "Flask's debug mode exposes the Werkzeug debugger, which runs any Python "
             "code for whoever can reach the port.", "Never set debug=True in code; read it "
             "from the environment, off by default."),
    "B301": ("medium", "pickle.load runs arbitrary code from a crafted file, so a swapped "
             "model artifact takes over the service.", "Load models only from a trusted path "
             "with a checksum check, or use a format that cannot run code (ONNX, skops, JSON "
             "parameters)."),
    "B302": ("medium", "marshal can crash or mislead the interpreter with crafted data.",
             "Use JSON or another data-only format."),
    "B303": ("low", "MD5/SHA1 are broken for security purposes.",
             "Use hashlib.sha256, or pass usedforsecurity=False for non-security hashes."),
    "B324": ("low", "MD5/SHA1 are broken for security purposes.",
             "Use hashlib.sha256, or pass usedforsecurity=False for non-security hashes."),
    "B307": ("medium", "eval runs any Python expression it is given; with request data it is "
             "remote code execution.", "Use ast.literal_eval for literals, or parse the input "
             "explicitly against a schema."),
    "B311": ("info", "random is not cryptographically secure (fine for sampling and "
             "simulations).", "Use the secrets module for tokens, keys and passwords."),
    "B403": ("info", "pickle is imported: loading pickles from outside is code execution.",
             "Keep pickle for files you wrote yourself, verified by checksum."),
    "B404": ("info", "subprocess is imported: commands built from input are injectable.",
             "Pass argument lists, never shell strings built from input."),
    "B501": ("high", "verify=False turns off TLS certificate checks, so anyone on the network "
             "path can read and change the traffic.", "Keep verification on; point verify= at "
             "a CA bundle if a private CA is needed."),
    "B506": ("medium", "yaml.load with an unsafe loader builds arbitrary Python objects from "
             "the file.", "Use yaml.safe_load."),
    "B602": ("high", "shell=True runs the command through a shell, so any input in it becomes "
             "shell injection.", "Pass an argument list without shell=True "
             "(subprocess.run([...]))."),
    "B603": ("info", "A subprocess call: safe only while its arguments are trusted.",
             "Keep the command fixed and validate any argument that comes from input."),
    "B605": ("high", "os.system/os.popen run the command through a shell, so any input in it "
             "becomes shell injection.", "Use subprocess.run with an argument list."),
    "B607": ("info", "A process is started by a partial path, found through PATH.",
             "Use the full path of the executable."),
    "B608": ("medium", "SQL built from strings is open to SQL injection.",
             "Use parameterised queries."),
    "B701": ("high", "Jinja2 autoescape is off, so user data renders as HTML (XSS).",
             "Create the Environment with autoescape=True (select_autoescape())."),
}
_BANDIT_SEVERITY: dict[str, Severity] = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low",
                                         "UNDEFINED": "info"}
# Rules whose flagged line holds a secret: its string literals are redacted everywhere.
SECRET_RULES = frozenset({"B105", "B106", "B107"})
# Rules about code execution: upgraded to high (and critical) when request data reaches them.
EXEC_RULES = frozenset({"B102", "B301", "B302", "B307", "B506", "B602", "B604", "B605"})
_STRING = re.compile(r"(['\"])((?:(?!\1).){6,}?)\1")


def run_bandit(targets: list[ScanTarget], redactor: Redactor) -> tuple[list[Finding], set[str]]:
    """bandit over every target; returns its findings and the targets it could not parse."""
    if not targets:
        return [], set()
    logging.getLogger("bandit").setLevel(logging.WARNING)  # no progress bar, no code in logs
    quiet = logging.getLogger("stevedore")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # bandit's optional SARIF formatter is not installed
    try:
        with warnings.catch_warnings():  # stevedore's notice about an argument bandit passes
            warnings.filterwarnings("ignore", message=".*verify_requirements.*")
            from bandit.core import config as b_config
            from bandit.core import manager as b_manager
    finally:
        quiet.setLevel(level)

    by_disk = {str(t.disk): t for t in targets}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*verify_requirements.*")
        manager = b_manager.BanditManager(b_config.BanditConfig(), "file", debug=False,
                                          verbose=False, quiet=True, ignore_nosec=True)
        manager.files_list = sorted(by_disk)
        manager.run_tests()
    skipped = {by_disk[name].file.path for name, why in manager.skipped
               if name in by_disk and "syntax" in str(why)}
    out: list[Finding] = []
    for issue in manager.get_issue_list():
        target = by_disk.get(str(issue.fname))
        if target is None:
            continue
        rule = issue.test_id
        if rule == "B101" and target.file.is_test:
            continue  # asserts are how tests check
        line_text = _line(target.text, issue.lineno)
        if rule in SECRET_RULES:
            for _, value in _STRING.findall(line_text):
                redactor.add(value, "password")
        severity, why, fix = BANDIT_RULES.get(rule, (None, "", ""))
        line, cell = target.place(issue.lineno)
        out.append(Finding(
            file=target.file.path, line=line, cell=cell, rule=rule,
            severity=severity or _BANDIT_SEVERITY.get(str(issue.severity), "low"),
            message=why or _sentence(issue.text),
            fix=fix or f"Rewrite this without the pattern bandit flags ({issue.test}), or "
                       "show why its input is trusted.",
            tool="bandit"))
    return out, skipped


def _line(text: str, lineno: int) -> str:
    lines = text.split("\n")
    return lines[lineno - 1] if 1 <= lineno <= len(lines) else ""


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith(".") else text + "."


# --- detect-secrets -------------------------------------------------------------------------------

# detect-secrets' settings are process-wide: one scan at a time.
_SECRETS_LOCK = threading.Lock()
# The heuristic filters that drop placeholders and ids; all offline. Left out on purpose: the
# allowlist comment (a candidate could hide a key with it), verification (calls the providers'
# APIs), wordlist and gibberish (need extra files).
OFFLINE_FILTERS = (
    "detect_secrets.filters.heuristic.is_sequential_string",
    "detect_secrets.filters.heuristic.is_potential_uuid",
    "detect_secrets.filters.heuristic.is_likely_id_string",
    "detect_secrets.filters.heuristic.is_templated_secret",
    "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign",
    "detect_secrets.filters.heuristic.is_indirect_reference",
    "detect_secrets.filters.heuristic.is_lock_file",
    "detect_secrets.filters.heuristic.is_not_alphanumeric_string",
    "detect_secrets.filters.heuristic.is_swagger_file",
)
VERIFY_FILTER = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"
NOT_SECRETS = frozenset({"IPPublicDetector"})  # a public IP address is not a credential
_EXAMPLE_FILE = re.compile(r"(^|/)[^/]*\.(example|sample|template|dist)$|(^|/)example[^/]*$",
                           re.IGNORECASE)


def secrets_config() -> dict[str, object]:
    """The detect-secrets settings the review scans with: every bundled plugin but the IP one,
    the offline filters only."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    plugins_by_type: dict[str, type] = get_mapping_from_secret_type_to_class()
    names = {plugin.__name__ for plugin in plugins_by_type.values()}
    plugins = sorted(names - NOT_SECRETS)
    return {"plugins_used": [{"name": name} for name in plugins],
            "filters_used": [{"path": path} for path in OFFLINE_FILTERS]}


def run_secrets(sub: Submission, targets: list[ScanTarget],
                redactor: Redactor) -> list[Finding]:
    """Secrets in every text file (a notebook through its code cells, with cell numbers, and
    as a whole for outputs). Every value found goes to the redactor."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import get_settings, transient_settings

    notebook_targets = {t.file.path: t for t in targets if t.cells is not None}
    found: list[Finding] = []
    seen: set[tuple[str, str]] = set()  # (file, value): a notebook's value found once
    log = logging.getLogger("detect-secrets")
    level = log.level
    with _SECRETS_LOCK:
        log.setLevel(logging.CRITICAL)
        try:
            with transient_settings(secrets_config()):
                if VERIFY_FILTER in get_settings().filters:  # never call a provider's API
                    raise RuntimeError("detect-secrets verification must stay off")
                jobs: list[tuple[SourceFile, Path, list[int] | None, ScanTarget | None]] = []
                compact_dir = sub.root.parent / "secrets"
                for f in sub.files:
                    nb = notebook_targets.get(f.path)
                    if nb is not None:  # code cells first (cell numbers)
                        jobs.append((f, *_compact(nb.text, compact_dir / (f.path + ".py")), nb))
                    if PurePosixPath(f.path).suffix.lower() in COMPACT_SUFFIXES:
                        jobs.append((f, *_compact(f.text, compact_dir / f.path), None))
                    else:  # config files are parsed whole (detect-secrets' transformers)
                        jobs.append((f, sub.disk_path(f), None, None))
                for f, disk, lines, target in jobs:
                    collection = SecretsCollection()
                    collection.scan_file(str(disk))
                    # one value found by several plugins is named by the most specific one
                    for _, secret in sorted(collection, key=lambda x: _type_rank(x[1].type)):
                        value = secret.secret_value or ""
                        redactor.add(value, "secret")
                        if (f.path, value) in seen:
                            continue
                        seen.add((f.path, value))
                        line = secret.line_number
                        if lines is not None and 1 <= line <= len(lines):
                            line = lines[line - 1]
                        found.append(_secret_finding(f, secret.type, line, target))
        finally:
            log.setLevel(level)
    return found


# Lines that can hold a secret: a string literal, a secret-ish word, or a long token. Only these
# go into the copy detect-secrets reads (with a map back to the original line numbers): it runs
# every plugin and filter on every line, and most lines of code hold none of these (8x fewer
# lines on the bench's project). Every plugin's pattern needs one of them; the filters that
# read a line's neighbours (the allowlist comment, verification) are off.
_CANDIDATE = re.compile(r"[\"'`]|(?i:key|secret|token|pass|pwd|auth|cred|api|bearer|private|"
                        r"begin|conn|dsn|url)|[A-Za-z0-9+/_\-.:=~]{16,}")
COMPACT_SUFFIXES = frozenset({".py", ".md", ".markdown", ".txt", ".rst", ".ipynb"})


def _compact(text: str, path: Path) -> tuple[Path, list[int]]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    kept = [(n, line) for n, line in enumerate(text.split("\n"), 1) if _CANDIDATE.search(line)]
    path.write_text("\n".join(line for _, line in kept) + "\n", encoding="utf-8")
    return path, [n for n, _ in kept]


def _type_rank(kind: str) -> int:
    """A provider's key (AWS, OpenAI...) first, then a keyword, then bare entropy."""
    return 2 if "Entropy" in kind else 1 if kind == "Secret Keyword" else 0


def _secret_finding(f: SourceFile, kind: str, line: int, target: ScanTarget | None) -> Finding:
    cell = None
    where_line: int | None = line
    if target is not None:
        where_line, cell = target.place(line)
    elif f.kind == "notebook":
        where_line = None  # a line of the notebook's JSON means nothing to its author
    example = bool(_EXAMPLE_FILE.search(f.path))
    live = not (f.is_test or example)
    slug = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")
    rule = slug if slug.startswith("secret") else f"secret-{slug}"
    where = "an example file" if example else "a test" if f.is_test else "the code"
    if f.kind == "notebook" and target is None:
        where = "a notebook output or markdown cell"
    return Finding(
        file=f.path, line=where_line, cell=cell, rule=rule,
        severity="high" if live else "medium", tool="detect-secrets", critical=live,
        message=(f"A hard-coded secret ({kind}) is in {where} (value redacted): anyone with "
                 "the repository has it, and it stays in its history."),
        fix="Revoke it, load it from an environment variable documented in .env.example, "
            "and keep it out of the repository.")


# --- secrets by name -----------------------------------------------------------------------------

# detect-secrets' keyword plugin misses annotated assignments (`API_KEY: str = "..."`) and some
# spellings; a string literal assigned to a name that says it is a secret is one.
_SECRET_NAME = re.compile(r"(?i)(^|_)(api_?key|secret|secret_?key|token|passw(or)?d|pwd|"
                          r"credentials?|private_?key|access_?key|auth_?key|client_?secret)(_|$)")
_NOT_SECRET_NAME = re.compile(r"(?i)_(url|uri|path|file|name|env|var|header|id|type|len|length|"
                              r"field|prefix|key_?name|alg|algorithm)$")
_PLACEHOLDER = re.compile(r"(?i)^(change_?me|example|placeholder|dummy|test|secret|password|"
                          r"x{3,}|\*+|your[-_ ].*|<.*>|\$\{.*\}|\{\{.*\}\}|none|null|todo|"
                          r"not[-_ ]?set)$")
_SECRET_WORD = re.compile(r"(?i)key|secret|token|passw|pwd|cred")
MIN_SECRET_LITERAL = 8


def check_secret_names(targets: list[ScanTarget], redactor: Redactor) -> list[Finding]:
    out: list[Finding] = []
    for t in targets:
        if not _SECRET_WORD.search(t.text):
            continue
        tree = t.tree()
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                names, value = [n for x in node.targets for n in _targets(x)], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                names, value = _targets(node.target), node.value
            else:
                continue
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                continue
            literal = value.value.strip()
            if len(literal) < MIN_SECRET_LITERAL or any(c.isspace() for c in literal) or \
                    _PLACEHOLDER.match(literal) or re.fullmatch(r"[A-Z][A-Z0-9_]*", literal):
                continue  # an env var's name, a placeholder or a sentence
            name = next((n for n in names if _SECRET_NAME.search(n)
                         and not _NOT_SECRET_NAME.search(n)), None)
            if name is None:
                continue
            redactor.add(literal, "secret")
            live = not t.file.is_test
            line, cell = t.place(node.lineno)
            out.append(Finding(
                file=t.file.path, line=line, cell=cell, rule="hardcoded-secret",
                severity="high" if live else "medium", tool="secret-names", critical=live,
                message=f"{name} holds a hard-coded value (redacted): anyone with the "
                        "repository has it, and it stays in its history.",
                fix="Revoke it, load it from an environment variable documented in "
                    ".env.example, and keep it out of the repository."))
    return out


# --- dependency hygiene ---------------------------------------------------------------------------

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
_PINNED = re.compile(r"^===?\s*[A-Za-z0-9][A-Za-z0-9.+!_-]*\s*(;.*)?$")


def _requirements(f: SourceFile) -> Iterator[tuple[int, str, str, bool]]:
    """(line, name, spec, hashed) for each requirement line of a requirements file."""
    lines = f.text.split("\n")
    i = 0
    while i < len(lines):
        start = i
        line = lines[i]
        while line.rstrip().endswith("\\") and i + 1 < len(lines):  # continuation lines
            i += 1
            line = line.rstrip()[:-1] + " " + lines[i]
        i += 1
        body = line.split(" #", 1)[0].strip()
        if not body or body.startswith(("#", "-", "--")) or "://" in body or \
                body.startswith((".", "/")):
            continue
        hashed = "--hash" in body
        body = body.split("--hash", 1)[0].strip()
        m = _REQ_NAME.match(body)
        if m:
            yield start + 1, m.group(1), m.group(3).strip(), hashed


def check_dependencies(sub: Submission) -> tuple[list[Finding], list[str]]:
    """Unpinned or unhashed requirements, a pyproject without a lock file, no dependency file
    at all for code that imports third-party packages."""
    out: list[Finding] = []
    dep_files: list[str] = []
    locked = any(f.kind == "lock" for f in sub.files)
    for f in sub.files:
        if f.kind == "lock":
            dep_files.append(f.path)
        elif f.kind == "requirements" and PurePosixPath(f.path).name.lower() != "pipfile":
            dep_files.append(f.path)
            reqs = list(_requirements(f))
            unpinned = [(n, name, spec) for n, name, spec, _ in reqs
                        if not _PINNED.match(spec.replace(" ", ""))]
            for n, name, spec in unpinned:
                shown = f"{name}{spec}" if spec else name
                out.append(Finding(
                    file=f.path, line=n, rule="unpinned-dependency", severity="medium",
                    tool="dependencies",
                    message=f"{shown} is not pinned to one version, so the next install can "
                            "pull a different, broken or compromised release.",
                    fix=f"Pin it ({name}==X.Y.Z), best from a lock file generated with hashes "
                        "(pip-compile --generate-hashes or uv pip compile)."))
            if reqs and not unpinned and not locked and not all(h for *_, h in reqs):
                out.append(Finding(
                    file=f.path, line=reqs[0][0], rule="unhashed-requirements", severity="low",
                    tool="dependencies",
                    message="Requirements are pinned but not hashed, so a replaced package "
                            "file on the index would still install.",
                    fix="Generate the file with hashes (pip-compile --generate-hashes) and "
                        "install with --require-hashes."))
        elif f.kind == "pyproject":
            dep_files.append(f.path)
            out += _pyproject(f, locked)
    if not dep_files and _third_party_imports(sub):
        out.append(Finding(
            file="", rule="no-dependency-file", severity="medium", tool="dependencies",
            message="The code imports third-party packages but the submission has no "
                    "requirements or pyproject, so nobody can install what it needs.",
            fix="Add a requirements file or pyproject.toml with pinned versions and a lock "
                "file."))
    return out, dep_files


def _pyproject(f: SourceFile, locked: bool) -> list[Finding]:
    try:
        data = tomllib.loads(f.text)
    except tomllib.TOMLDecodeError as e:
        return [Finding(file=f.path, rule="invalid-pyproject", severity="medium",
                        tool="dependencies", message=f"pyproject.toml does not parse ({e}), so "
                        "the project cannot be installed.", fix="Fix the TOML syntax.")]
    deps = data.get("project", {}).get("dependencies", []) or []
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {}) or {}
    specs = [str(d) for d in deps if isinstance(d, str)]
    specs += [f"{k}{v if isinstance(v, str) else ''}" for k, v in poetry.items()
              if k.lower() != "python"]
    loose = [s for s in specs if "==" not in s]
    if not loose or locked:
        return []
    at = f.text.find("dependencies")
    line = f.text.count("\n", 0, at) + 1 if at >= 0 else None
    return [Finding(
        file=f.path, line=line, rule="no-lock-file", severity="medium", tool="dependencies",
        message=f"{len(loose)} dependencies are ranges with no lock file, so each install can "
                "resolve to different versions.",
        fix="Commit a lock file (uv lock, poetry lock, or pip-compile to requirements.lock).")]


def _third_party_imports(sub: Submission) -> set[str]:
    import sys

    local = {PurePosixPath(f.path).stem for f in sub.files if f.kind == "python"}
    local |= {p for f in sub.files for p in PurePosixPath(f.path).parts[:-1]}
    names: set[str] = set()
    for f in sub.files:
        if f.kind not in ("python", "notebook"):
            continue
        text = f.text if f.kind == "python" else notebook_code(f).text
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in local}


# --- request flow ---------------------------------------------------------------------------------

_ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "api_route",
                               "websocket"})
_REQUEST_NAMES = frozenset({"request", "req"})
_ROUTE_TEXT = re.compile(r"@\w+(\.\w+)*\.(route|get|post|put|patch|delete|api_route|websocket)\(")
_REQUEST_ATTRS = frozenset({"json", "data", "form", "args", "values", "files", "body",
                            "get_json", "get_data", "query_params", "path_params", "headers",
                            "cookies", "text", "content", "stream", "POST", "GET", "query"})
# calls that run what they are given (dotted names after import aliases are resolved)
_EXEC_SINKS = {
    "eval": "eval", "exec": "exec", "compile": "compile", "__import__": "__import__",
    "pickle.loads": "pickle.loads", "pickle.load": "pickle.load", "cPickle.loads": "pickle",
    "dill.loads": "dill.loads", "marshal.loads": "marshal.loads", "yaml.load": "yaml.load",
    "yaml.unsafe_load": "yaml.unsafe_load", "os.system": "os.system", "os.popen": "os.popen",
    "importlib.import_module": "importlib.import_module", "joblib.load": "joblib.load",
    "torch.load": "torch.load",
}
_SHELL_SINKS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call",
                          "subprocess.check_output", "subprocess.Popen", "subprocess.getoutput",
                          "subprocess.getstatusoutput"})
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical",
                          "log"})
_SAFE_YAML = re.compile(r"Safe|BaseLoader")


def _aliases(tree: ast.AST) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(aliases.get(node.id, node.id))
    elif isinstance(node, ast.Call):
        parts.append(_dotted(node.func, aliases) + "()")
    else:
        return ""
    return ".".join(reversed(parts))


def _request_access(node: ast.AST, request_names: set[str]) -> bool:
    """`request.json`, `request.get_json()`, `await request.body()`..."""
    return (isinstance(node, ast.Attribute) and node.attr in _REQUEST_ATTRS
            and isinstance(node.value, ast.Name) and node.value.id in request_names)


def _tainted(node: ast.AST, tainted: set[str], request_names: set[str]) -> bool:
    return any((isinstance(n, ast.Name) and n.id in tainted) or _request_access(n, request_names)
               for n in ast.walk(node))


def _whole_body(node: ast.AST, tainted: set[str], request_names: set[str]) -> bool:
    """The request body as a whole (not one field of it): a tainted name, `request.json`,
    `request.get_json()`, `payload.dict()`, `str(payload)`..."""
    if isinstance(node, ast.Name):
        return node.id in tainted
    if _request_access(node, request_names):
        return True
    if isinstance(node, ast.Await):
        return _whole_body(node.value, tainted, request_names)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute) and node.func.attr in (
                "dict", "model_dump", "json", "model_dump_json", "get_json", "get_data", "body"):
            return _whole_body(node.func.value, tainted, request_names)
        if isinstance(node.func, ast.Name) and node.func.id in ("str", "repr", "dict") and \
                node.args:
            return _whole_body(node.args[0], tainted, request_names)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) and
                   _whole_body(v.value, tainted, request_names) for v in node.values)
    return False


def _is_route(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for d in fn.decorator_list:
        call = d.func if isinstance(d, ast.Call) else d
        if isinstance(call, ast.Attribute) and call.attr in _ROUTE_DECORATORS:
            return True
    return False


def _targets(node: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]


def _function_taint(fn: ast.FunctionDef | ast.AsyncFunctionDef,
                    request_names: set[str]) -> tuple[set[str], set[str]]:
    """Names holding request data in a function, and the names that are the request itself."""
    names = set(request_names)
    tainted: set[str] = set()
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    route = _is_route(fn)
    for a in args:
        ann = ast.unparse(a.annotation) if a.annotation is not None else ""
        if a.arg in _REQUEST_NAMES or ann.endswith("Request"):
            names.add(a.arg)
        elif route and a.arg not in ("self", "cls", "db", "session"):
            tainted.add(a.arg)
    body = list(ast.walk(fn))
    for _ in range(2):  # a second pass catches assignments inside loops
        for node in body:
            value: ast.AST | None = None
            targets: list[str] = []
            if isinstance(node, ast.Assign):
                value, targets = node.value, [t for x in node.targets for t in _targets(x)]
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                value, targets = node.value, _targets(node.target)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                value, targets = node.iter, _targets(node.target)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                value, targets = node.context_expr, _targets(node.optional_vars)
            if value is not None and _tainted(value, tainted, names):
                tainted.update(targets)
    return tainted, names


def _sink(call: ast.Call, aliases: dict[str, str]) -> str | None:
    name = _dotted(call.func, aliases)
    if name in _EXEC_SINKS:
        if name == "yaml.load" and any(kw.arg == "Loader" and _SAFE_YAML.search(
                ast.unparse(kw.value)) for kw in call.keywords):
            return None
        return _EXEC_SINKS[name]
    if name in _SHELL_SINKS and any(kw.arg == "shell" and isinstance(kw.value, ast.Constant)
                                    and kw.value.value is True for kw in call.keywords):
        return f"{name}(shell=True)"
    return None


def _is_log_call(call: ast.Call, aliases: dict[str, str]) -> bool:
    if isinstance(call.func, ast.Name) and call.func.id == "print":
        return True
    if isinstance(call.func, ast.Attribute) and call.func.attr in _LOG_METHODS:
        base = _dotted(call.func.value, aliases).lower()
        return "log" in base
    return False


def check_request_flow(targets: list[ScanTarget]) -> list[Finding]:
    """Request data that reaches code execution (critical), whole request bodies written to
    logs, and debug mode switched on in code."""
    out: list[Finding] = []
    for t in targets:
        web = "request" in t.text or _ROUTE_TEXT.search(t.text) is not None
        debug = "debug" in t.text
        tree = t.tree() if web or debug else None  # most modules handle no request at all
        if tree is None:
            continue
        aliases = _aliases(tree) if web else {}
        module_names = {k for k, v in aliases.items() if v.endswith("request")} | set(
            _REQUEST_NAMES)
        functions = [n for n in ast.walk(tree) if web and
                     isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for fn in functions:
            tainted, names = _function_taint(fn, module_names)
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call):
                    continue
                sink = _sink(node, aliases)
                args = [*node.args, *(kw.value for kw in node.keywords)]
                if sink and any(_tainted(a, tainted, names) for a in args):
                    shell = "shell" in sink or sink.startswith("os.")
                    fix = ("Pass a fixed argument list without a shell and validate each value "
                           "from the request against a schema." if shell else
                           f"Never pass request data to {sink}; validate it against a schema "
                           "and parse it with a data-only parser (json, ast.literal_eval, "
                           "yaml.safe_load).")
                    out.append(_finding(t, node.lineno, "exec-from-request", "high", critical=True,
                                        message=f"Data from the request reaches {sink}, which "
                                        "runs it: anyone who can call the API can run code on "
                                        "the server.", fix=fix))
                elif _is_log_call(node, aliases) and any(
                        _whole_body(a, tainted, names) for a in args):
                    out.append(_finding(t, node.lineno, "logs-request-body", "medium",
                                        message="The whole request body is written to the "
                                        "logs, and with it the account's personal and "
                                        "financial data.", fix="Log a request id and the "
                                        "outcome, never the payload; mask PII fields."))
        for node in ast.walk(tree) if debug else ():
            if isinstance(node, ast.Call) and any(
                    kw.arg == "debug" and isinstance(kw.value, ast.Constant)
                    and kw.value.value is True for kw in node.keywords):
                out.append(_finding(t, node.lineno, "debug-mode", "medium",
                                    message="Debug mode is switched on in code: errors show "
                                    "stack traces and internals to any caller.",
                                    fix="Read debug from the environment, off by default."))
    return out


def _finding(t: ScanTarget, lineno: int, rule: str, severity: Severity, *, message: str,
             fix: str, critical: bool = False) -> Finding:
    line, cell = t.place(lineno)
    return Finding(file=t.file.path, line=line, cell=cell, rule=rule, severity=severity,
                   message=message, fix=fix, tool="request-flow", critical=critical)


# --- code quality ---------------------------------------------------------------------------------

LONG_FUNCTION_LINES = 80
FEW_TYPE_HINTS = 0.3  # under this share of typed functions: a finding
MIN_FUNCTIONS_FOR_HINTS = 5
LONG_FILE_LINES = 1000
_README = re.compile(r"^readme(\.[a-z]+)?$", re.IGNORECASE)


def check_quality(sub: Submission, targets: list[ScanTarget],
                  unparsed: set[str]) -> tuple[list[Finding], ReviewStats]:
    """Tests, README, type hints, size and structure: what a reviewer sees at a glance."""
    out: list[Finding] = []
    stats = ReviewStats(files=len(sub.files), python_files=len(sub.python),
                        notebooks=len(sub.notebooks))
    stats.has_readme = any(_README.match(PurePosixPath(f.path).name) for f in sub.files)
    stats.test_files = sum(1 for f in sub.files if f.is_test and f.kind in ("python",
                                                                              "notebook"))
    for t in targets:
        stats.lines_of_code += sum(1 for line in t.text.split("\n")
                                   if line.strip() and not line.strip().startswith("#"))
        if t.file.path in unparsed:
            out.append(Finding(file=t.file.path, rule="syntax-error", severity="medium",
                               tool="quality", message="This file is not valid Python, so it "
                               "cannot run and was not analyzed.",
                               fix="Fix the syntax error (python -m py_compile shows where)."))
            continue
        tree = t.tree()
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stats.functions += 1
                params = [a for a in [*node.args.posonlyargs, *node.args.args,
                                      *node.args.kwonlyargs] if a.arg not in ("self", "cls")]
                if node.returns is not None or any(a.annotation is not None for a in params):
                    stats.typed_functions += 1
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > LONG_FUNCTION_LINES and not t.file.is_test:
                    out.append(_quality(t, node.lineno, "long-function", "low",
                                        f"{node.name} is {length} lines long, which makes it "
                                        "hard to test and review.",
                                        "Split it into functions that each do one step."))
            elif isinstance(node, ast.ExceptHandler) and node.type is None:
                out.append(_quality(t, node.lineno, "bare-except", "low",
                                    "A bare except also catches KeyboardInterrupt and "
                                    "SystemExit and hides real bugs.",
                                    "Catch the specific exceptions you expect."))
        n_lines = t.text.count("\n") + 1
        if n_lines > LONG_FILE_LINES and t.cells is None:
            out.append(_quality(t, None, "long-file", "info",
                                f"This file has {n_lines} lines.",
                                "Split it into modules by responsibility."))
    code = stats.python_files + stats.notebooks
    if not stats.has_readme:
        out.append(Finding(file="", rule="no-readme", severity="medium", tool="quality",
                           message="There is no README, so a reviewer cannot tell how to run "
                           "it, what was decided or what was left out.",
                           fix="Add a README: how to run, design decisions, results, security "
                           "measures, limitations and next steps."))
    if code and not stats.test_files:
        out.append(Finding(file="", rule="no-tests", severity="medium", tool="quality",
                           message="There are no tests, so nothing shows the features, the "
                           "input validation or the API work.",
                           fix="Add pytest tests for the feature functions, input validation "
                           "(hostile inputs too) and one end-to-end call."))
    if stats.functions >= MIN_FUNCTIONS_FOR_HINTS and \
            stats.typed_functions / stats.functions < FEW_TYPE_HINTS:
        out.append(Finding(file="", rule="few-type-hints", severity="low", tool="quality",
                           message=f"Only {stats.typed_functions} of {stats.functions} "
                           "functions have type hints, so interfaces are left to guesswork.",
                           fix="Annotate the public functions' parameters and return types."))
    if stats.notebooks and not stats.python_files:
        out.append(Finding(file="", rule="notebook-only", severity="low", tool="quality",
                           message="All the logic lives in notebooks, which are hard to test, "
                           "review and serve.", fix="Move features, training and the API into "
                           "modules the notebook imports."))
    envs = [f for f in sub.files if PurePosixPath(f.path).name.lower() == ".env"]
    for f in envs:
        out.append(Finding(file=f.path, rule="env-file-committed", severity="medium",
                           tool="quality", message="A .env file is part of the submission; "
                           "it is where real keys end up.", fix="Ship .env.example with "
                           "placeholders and keep .env out of the repository (.gitignore)."))
    return out, stats


def _quality(t: ScanTarget, lineno: int | None, rule: str, severity: Severity, message: str,
             fix: str) -> Finding:
    line, cell = t.place(lineno)
    return Finding(file=t.file.path, line=line, cell=cell, rule=rule, severity=severity,
                   message=message, fix=fix, tool="quality")
