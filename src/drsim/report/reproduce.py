"""The "Reproduce" section of every report: the command that gives the same numbers again.

A run, comparison or sweep is reproduced exactly by the same drsim version
with the same scenario(s), the same ``--set`` overrides, the same seed and
the same number of replications (and for a comparison the same
``--same-workload``, for a sweep the same parameter grid). Output options
(``-o``, ``--jobs``, ``--json``, ``--quiet`` …) change no number and are left
out. Each function returns the command as an argument list (``drsim`` first);
:func:`command_text` quotes it for a shell.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from drsim.output import RunManifest

RUN_OPTIONS_WITHOUT_EFFECT = {"-o": 1, "--output-dir": 1, "--jobs": 1, "--records": 1,
                              "--json": 0, "--quiet": 0, "--no-charts": 0,
                              "--reps": 1, "--seed": 1}
"""Options of a recorded ``drsim run`` command dropped from its reproduce command, with the
number of values each takes (``--reps`` and ``--seed`` are added back from the manifest)."""


def command_text(command: Sequence[str]) -> str:
    """The command as one shell line (arguments quoted where needed)."""
    return shlex.join([str(c) for c in command])


def run_command(manifest: RunManifest) -> list[str] | None:
    """``drsim run SCENARIO --set … --seed S --reps N`` of a run made from the command line;
    None for a run made from Python (no command recorded)."""
    recorded = list(manifest.command or [])
    if len(recorded) < 3:
        return None
    command = recorded[:3]
    rest = recorded[3:]
    i = 0
    while i < len(rest):
        skip = RUN_OPTIONS_WITHOUT_EFFECT.get(rest[i])
        if skip is None:
            command.append(rest[i])
            i += 1
        else:
            i += 1 + skip
    if manifest.seed is not None:
        command += ["--seed", str(manifest.seed)]
    return [*command, "--reps", str(manifest.replications)]


def compare_command(data: dict[str, Any]) -> list[str] | None:
    """The recorded reproduce command of a comparison (``compare.json`` key ``command``), or
    None for a comparison made from Python or by an older drsim."""
    command = data.get("command")
    return [str(c) for c in command] if command else None


def stored_designs_command(names: Sequence[str], replications: int) -> list[str]:
    """``drsim compare designs/A.yaml designs/B.yaml --reps N``: the designs exactly as they
    ran (overrides and shared workload applied, seeds included), from the comparison
    directory."""
    return ["drsim", "compare", *(f"designs/{n}.yaml" for n in names),
            "--reps", str(replications)]


def sweep_command(definition: Any) -> list[str]:
    """``drsim sweep SCENARIO --param … --set … --reps N`` of a sweep definition, the seed of
    its base scenario pinned with ``--set run.seed=S`` unless an override sets it."""
    design = definition.design
    command = ["drsim", "sweep", str(definition.scenario)]
    for p in design.params:
        command += ["--param", f"{p.path}={','.join(str(v) for v in p.values)}"]
    for r in design.ranges:
        command += ["--range", f"{r.path}={r.low}..{r.high}"]
    if design.sample is not None:
        command += ["--sample", f"{design.sample.method}:{design.sample.n}"]
    if design.zip:
        command.append("--zip")
    for item in definition.sets:
        command += ["--set", item]
    seed = ((definition.base_scenario or {}).get("run") or {}).get("seed")
    if seed is not None and not any(s.split("=")[0].strip() == "run.seed"
                                    for s in definition.sets):
        command += ["--set", f"run.seed={seed}"]
    return [*command, "--reps", str(definition.replications)]


def version_note(version: str | None) -> str:
    """Which drsim to reproduce with."""
    if not version or version == "?":
        return "The drsim version that wrote these results was not recorded."
    return (f"Written by drsim {version}; the same version gives the same numbers bit for "
            "bit (another version may differ where the model changed).")
