"""Loading a scenario: YAML file → validated, frozen :class:`~drsim.scenario.schema.Scenario`.

The path from what a person wrote to what the model runs:

1. read the YAML with the safe loader, remembering the line of every key;
2. ``extends: <name or path>``: load the parent scenario (recursively) and deep-merge
   this file onto it — mappings merge key by key, lists and scalars replace;
3. expand presets (``clients: internet``, ``lockout: cognito``);
4. apply ``--set KEY=VALUE`` overrides;
5. inline empirical ``file:`` distributions from their CSV files;
6. validate against the schema, then check cross-field consistency.

Any problem at any step raises :class:`ScenarioError` whose lines read
``FILE:LINE: key.path: expected …, got …`` and point into the file that holds
the offending key — the parent file for an inherited key, the override for a
``--set``, the CSV file for a bad sample.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from drsim.scenario.advisories import suspect_settings
from drsim.scenario.empirical import inline_empirical_files
from drsim.scenario.errors import KeyPath, Problem, ScenarioError, describe_value, dotted
from drsim.scenario.messages import did_you_mean, problems_from_validation
from drsim.scenario.overrides import apply_overrides
from drsim.scenario.presets import CLIENT_PRESETS, client_preset
from drsim.scenario.schema import Scenario, consistency_problems
from drsim.scenario.yamlsource import SourceMap, read_yaml

SCENARIO_SUFFIXES = (".yaml", ".yml")
_ROOT_HINT = "a mapping of scenario keys (name:, regions:, faults:, …)"


def scenarios_dir() -> Path:
    """The directory of shipped scenarios.

    ``$DRSIM_SCENARIOS`` if set; else the repository's ``scenarios/`` next to ``src/``;
    else ``./scenarios``.
    """
    env = os.environ.get("DRSIM_SCENARIOS")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3] / "scenarios"
    if repo.is_dir():
        return repo
    return Path.cwd() / "scenarios"


def shipped_scenarios() -> list[Path]:
    """Every shipped scenario file, sorted by name."""
    directory = scenarios_dir()
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in SCENARIO_SUFFIXES)


def load_scenario(source: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load, resolve and validate a scenario file.

    Args:
        source: A path to a YAML file, or the name of a shipped scenario
            (``cognito-active-passive``, looked up in :func:`scenarios_dir`).
        overrides: ``KEY=VALUE`` strings such as ``dns.ttl=30s``, applied in order.

    Returns:
        The frozen, validated scenario.

    Raises:
        ScenarioError: anything wrong, each problem as ``FILE:LINE: key.path: message``.
    """
    return check_scenario(source, overrides)[0]


def check_scenario(source: str | Path,
                   overrides: Sequence[str] = ()) -> tuple[Scenario, list[Problem]]:
    """:func:`load_scenario`, and the warnings about legal but suspect settings
    (:mod:`drsim.scenario.advisories`), each located like an error."""
    path = Path(source)
    label = str(source)
    if not path.exists() and path.suffix not in SCENARIO_SUFFIXES and os.sep not in label:
        path = _shipped(label, label, 0, ())
        label = _label(path)
    loaded = _Loader()
    data, source_map = loaded.document(path, label, chain=())
    scenario = loaded.finish(data, source_map, overrides)
    return scenario, loaded.warnings


def parse_scenario(
    text: str,
    *,
    filename: str = "<string>",
    overrides: Sequence[str] = (),
    base_dir: str | Path | None = None,
) -> Scenario:
    """Load a scenario from YAML text (same rules as :func:`load_scenario`).

    Args:
        text: The YAML document.
        filename: Label used in error messages.
        overrides: ``KEY=VALUE`` strings applied in order.
        base_dir: Directory for relative ``extends:`` and CSV paths (default: the
            current directory).
    """
    loaded = _Loader()
    loaded.base_dirs[filename] = Path(base_dir) if base_dir is not None else Path.cwd()
    data, source_map = loaded.text(text, filename, chain=())
    return loaded.finish(data, source_map, overrides)


def resolved_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML, units written out (``30s``, ``120/s``, ``99%``).

    Loading the text gives back an equal scenario: ``parse_scenario(resolved_yaml(s)) == s``.
    """
    return yaml.safe_dump(
        scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100
    )


def _label(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _shipped(name: str, file: str, line: int, key: KeyPath) -> Path:
    """The shipped scenario called ``name``, or an error pointing at where it was named."""
    candidate = scenarios_dir() / f"{name}.yaml"
    if candidate.is_file():
        return candidate
    names = [p.stem for p in shipped_scenarios()]
    hint = did_you_mean(name, names) or (f" (shipped: {', '.join(names)})" if names else "")
    raise ScenarioError.single(
        file, line, key, f"no shipped scenario named {name!r} in {_label(scenarios_dir())}{hint}"
    )


class _Loader:
    """One load: remembers which directory each file label lives in."""

    def __init__(self) -> None:
        self.base_dirs: dict[str, Path] = {}
        self.warnings: list[Problem] = []  # legal but suspect settings, found by finish

    def base_dir(self, label: str) -> Path:
        return self.base_dirs.get(label, Path.cwd())

    def document(
        self, path: Path, label: str, chain: tuple[Path, ...]
    ) -> tuple[dict[str, Any], SourceMap]:
        """Read a file and resolve its ``extends`` chain."""
        try:
            raw = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if path.is_dir():
                reason = "is a directory, not a scenario file"
            raise ScenarioError.single(
                label, 0, "", f"cannot read the scenario: {reason}"
            ) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise ScenarioError.single(
                label, line, "", "expected a UTF-8 text file (YAML), found undecodable bytes"
            ) from None
        self.base_dirs[label] = path.resolve().parent
        return self.text(text, label, chain=(*chain, path.resolve()))

    def text(
        self, text: str, label: str, chain: tuple[Path, ...]
    ) -> tuple[dict[str, Any], SourceMap]:
        """Parse YAML text, check its root, and resolve its ``extends`` chain."""
        data, source_map = read_yaml(text, label)
        if data is None:
            raise ScenarioError.single(
                label, 1, "", f"the scenario is empty; expected {_ROOT_HINT}"
            )
        if not isinstance(data, dict):
            _file, line = source_map.locate(())
            raise ScenarioError.single(
                label, line, "", f"expected {_ROOT_HINT}, got {describe_value(data)}"
            )
        if "extends" not in data:
            return data, source_map
        parent_name = data.pop("extends")
        _file, line = source_map.locate(("extends",))
        source_map.drop_under(("extends",))
        parent_path = self._parent_path(parent_name, label, line)
        if parent_path.resolve() in chain:
            names = " → ".join(_label(p) for p in (*chain, parent_path.resolve()))
            raise ScenarioError.single(label, line, "extends", f"extends cycle: {names}")
        parent, parent_map = self.document(parent_path, _label(parent_path), chain)
        _normalize(parent)
        _normalize(data)
        return _deep_merge(parent, parent_map, data, source_map)

    def _parent_path(self, name: Any, label: str, line: int) -> Path:
        if not isinstance(name, str) or not name.strip():
            raise ScenarioError.single(
                label,
                line,
                "extends",
                f"expected a scenario name or a path to a .yaml file, got {describe_value(name)}",
            )
        if Path(name).suffix in SCENARIO_SUFFIXES or "/" in name or os.sep in name:
            candidate = self.base_dir(label) / name
            if not candidate.is_file():
                raise ScenarioError.single(
                    label, line, "extends", f"no scenario file {name!r} (looked for {candidate})"
                )
            return candidate
        return _shipped(name, label, line, ("extends",))

    def finish(
        self, data: dict[str, Any], source_map: SourceMap, overrides: Sequence[str]
    ) -> Scenario:
        """Presets, overrides, CSV samples, validation, consistency."""
        early = _normalize(data, source_map)  # problems reported with validation's
        try:
            apply_overrides(data, source_map, overrides)
        except ScenarioError as exc:
            early.extend(exc.problems)
        early.extend(_normalize(data, source_map))
        try:
            inline_empirical_files(data, source_map, self.base_dir)
        except ScenarioError as exc:
            early.extend(exc.problems)
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            problems = problems_from_validation(exc, data, source_map)
            raise ScenarioError([*early, *problems]) from None
        if early:
            raise ScenarioError(early)
        problems = [
            Problem(*source_map.locate(path), dotted(path), message)
            for path, message in consistency_problems(scenario)
        ]
        if problems:
            raise ScenarioError(sorted(problems, key=lambda p: (p.file, p.line)))
        self.warnings = sorted(
            (Problem(*source_map.locate(path), dotted(path), message)
             for path, message in suspect_settings(scenario, data)),
            key=lambda p: (p.file, p.line))
        return scenario


def _normalize(data: dict[str, Any], source_map: SourceMap | None = None) -> list[Problem]:
    """Expand preset names in place: ``clients: internet`` → its client kinds;
    ``lockout: cognito`` → ``{preset: cognito}`` (so that keys can be merged onto it).

    Client presets are expanded only when ``source_map`` is given (the final document);
    an unknown one is removed and reported.
    """
    lockout = data.get("lockout")
    if isinstance(lockout, str):
        data["lockout"] = {"preset": lockout}
    clients = data.get("clients")
    if not isinstance(clients, str) or source_map is None:
        return []
    if clients in CLIENT_PRESETS:
        data["clients"] = client_preset(clients)
        return []
    del data["clients"]
    names = list(CLIENT_PRESETS)
    file, line = source_map.locate(("clients",))
    message = (
        f"expected a list of client kinds or a preset, one of "
        f"{', '.join(repr(n) for n in names)}, got {clients!r}{did_you_mean(clients, names)}"
    )
    return [Problem(file, line, "clients", message)]


VARIANT_TAGS = ("distribution", "behaviour", "kind")
"""Keys whose value selects a variant of a section (its other keys depend on it)."""


def _deep_merge(
    base: dict[str, Any], base_map: SourceMap, over: dict[str, Any], over_map: SourceMap
) -> tuple[dict[str, Any], SourceMap]:
    """``over`` onto ``base``: mappings merge recursively, anything else replaces.

    A mapping that names another variant (``distribution: uniform`` over a
    lognormal, another ``behaviour`` or ``kind``) replaces the parent's instead of
    merging with it: the parent's variant-specific keys would not fit.
    """
    merged_map = base_map.copy()

    def other_variant(left: dict, right: dict) -> bool:
        return any(tag in left and tag in right and left[tag] != right[tag]
                   for tag in VARIANT_TAGS)

    def merge(left: Any, right: Any, path: KeyPath) -> Any:
        if isinstance(left, dict) and isinstance(right, dict) and not other_variant(left, right):
            result = dict(left)
            for key, value in right.items():
                result[key] = merge(left[key], value, (*path, key)) if key in left else value
                if key not in left:
                    merged_map.drop_under((*path, key))
            return result
        merged_map.drop_under(path)
        return right

    merged = merge(base, over, ())
    for key_path, where in over_map.entries.items():
        merged_map.set(key_path, where)
    return merged, merged_map
