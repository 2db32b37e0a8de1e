"""`drsim report`: one self-contained, valid HTML file for a run, a comparison and a sweep.

Checks that the report is produced for each kind of output, that its HTML
is well formed, references nothing outside itself, that every embedded image
decodes as a real chart, that its numbers are the outputs' numbers (known
answers recomputed from the files), that Markdown output has its PNGs beside
it, that bad input is a one-line error, and that real headless Chromium
renders it without console errors.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.image import imread

from drsim.cli import main
from drsim.report.errors import ReportError
from drsim.report.sources import read_source

from .conftest import sweep_threshold

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Checker(HTMLParser):
    """Tracks open elements: every non-void element must be closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.doctype = False
        self.text: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.doctype |= decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if "id" in dict(attrs):
            self.ids.append(str(dict(attrs)["id"]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.problems.append(f"end tag for void element <{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Checker:
    checker = _Checker()
    checker.feed(path.read_text(encoding="utf-8"))
    checker.close()
    return checker


def _text(checker: _Checker) -> str:
    return " ".join(" ".join(checker.text).split())


KINDS = ("run", "compare", "sweep", "sweep1")


# --------------------------------------------------------------------------- detection


def test_each_output_is_detected(outputs):
    assert {name: read_source(d).kind for name, d in outputs.items()} == {
        "run": "run", "compare": "compare", "sweep": "sweep", "sweep1": "sweep",
        "sweep3": "sweep"}


def test_a_directory_that_is_no_output_is_refused(tmp_path):
    with pytest.raises(ReportError, match="not a drsim output directory"):
        read_source(tmp_path)
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ReportError, match="without manifest.yaml"):
        read_source(tmp_path)
    with pytest.raises(ReportError, match="not a directory"):
        read_source(tmp_path / "nothing-here")


# --------------------------------------------------------------------------- valid, self-contained


@pytest.mark.parametrize("kind", KINDS)
def test_html_is_well_formed(reports, kind):
    checker = _parse(reports[kind])
    assert checker.doctype
    assert checker.problems == []
    assert checker.stack == []  # everything closed
    names = [t for t, _ in checker.tags]
    for required in ("html", "head", "title", "body", "main", "h1", "h2", "img", "table"):
        assert required in names, required
    assert len(checker.ids) == len(set(checker.ids)), "duplicate ids"
    # every in-page link points at an existing id
    anchors = [a["href"] for t, a in checker.tags if t == "a" and a.get("href")]
    assert anchors and all(h[1:] in checker.ids for h in anchors if h.startswith("#"))


@pytest.mark.parametrize("kind", KINDS)
def test_html_references_no_external_resource(reports, kind):
    html = reports[kind].read_text(encoding="utf-8")
    checker = _parse(reports[kind])
    for tag, attrs in checker.tags:
        for name in ("src", "href", "srcset", "data", "poster", "action"):
            value = attrs.get(name)
            if value is None:
                continue
            assert not re.match(r"^\s*(https?:|//|ftp:|file:)", value, re.I), (tag, name, value)
            if name == "src":
                assert value.startswith("data:image/png;base64,"), (tag, value[:40])
            if name == "href":
                assert value.startswith("#"), value
        assert tag not in ("script", "link", "iframe", "object", "embed", "base"), tag
    assert "<script" not in html.lower()
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html  # the CSP forbids fetching anything


@pytest.mark.parametrize("kind", KINDS)
def test_every_embedded_image_decodes(reports, kind):
    checker = _parse(reports[kind])
    sources = [a["src"] for t, a in checker.tags if t == "img"]
    assert sources
    for src in sources:
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data.startswith(PNG_SIGNATURE)
        pixels = imread(io.BytesIO(data), format="png")
        assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 200
        assert float(pixels[..., :3].std()) > 0.02  # a drawing, not a blank canvas
    alts = [a.get("alt") for t, a in checker.tags if t == "img"]
    assert all(alts)


# --------------------------------------------------------------------------- contents


def test_run_report_says_what_the_run_found(outputs, reports):
    checker = _parse(reports["run"])
    text = _text(checker)
    summary = json.loads((outputs["run"] / "summary.json").read_text(encoding="utf-8"))
    metrics = summary["metrics"]
    # the question and the design in plain words
    assert "What does a 5-minute primary outage cost a tiny active-passive pool?" in text
    assert "2 regions: us-east-1 (primary" in text
    assert "TTL 60 s" in text and "Health checks every 30 s" in text
    assert "region outage of us-east-1 from 2 min to 7 min" in text
    # the recovery leads: the headline in words and the recovery curve, before the metrics
    assert summary["headline"] in text
    assert text.index(summary["headline"]) < text.rindex("Headline metrics")  # its section
    assert "The recovery curve, from the start of the fault" in text
    for level in (50, 90, 99):
        assert f"{level} % of the pre-fault success rate" in text
    # every section the review needs
    for section in ("the-question", "the-design", "recovery", "headline-metrics",
                    "fault-timeline",
                    "failures-by-cause", "staleness", "lockout-bypass-windows", "rto-and-rpo",
                    "cost", "every-metric", "reproduce"):
        assert section in checker.ids, section
    # the headline reading carries the summary's mean and CI
    failed = metrics["failed_logins"]
    lo, hi = failed["ci95"]
    assert f"{failed['mean']:,.0f} sign-ins failed (95 % CI {lo:,.0f}–{hi:,.0f})" in text
    # ... and the share sent to the failed region, recomputed from the records
    req = pd.read_parquet(outputs["run"] / "records.parquet")
    sign_in = req["op"].isin(["sign_in", "federated_sign_in"]) & ~req["attacker"]
    bad = req[sign_in & (req["outcome"] != "ok")]
    share = 100.0 * float((bad["region"] == "us-east-1").mean())
    assert f"{share:.0f} % while DNS still pointed at the failed region us-east-1" in text
    cost = metrics["cost_per_month_usd"]["mean"]
    assert (f"${cost:,.0f}" if cost >= 100 else f"${cost:,.2f}") + " per month" in text


def test_compare_report_shows_designs_side_by_side(outputs, reports):
    checker = _parse(reports["compare"])
    text = _text(checker)
    data = json.loads((outputs["compare"] / "compare.json").read_text(encoding="utf-8"))
    for section in ("the-designs", "headline-differences", "designs-side-by-side",
                    "cost-against-risk", "paired-differences", "target"):
        assert section in checker.ids, section
    assert "The designs differ in 1 design setting: lockout.scope." in text
    assert "Not a like-for-like comparison" not in text  # same workload: no warning
    assert "tiny-global − tiny" in text  # the paired-difference column
    # a global counter removes the extra guesses: the paired difference is minus the
    # baseline's extra guesses, and the reading says so with the unicode minus
    diff = data["differences"][0]["metrics"]["lockout_extra_guesses"]
    base = data["designs"][0]["metrics"]["lockout_extra_guesses"]["mean"]
    assert base > 0
    assert diff["mean"] == pytest.approx(-base)
    assert "tiny-global against tiny: failed sign-ins " in text
    assert f"extra guesses −{base:,.0f}" in text


def test_sweep_report_lists_exactly_the_settings_meeting_the_target(outputs, reports):
    points = pd.read_parquet(outputs["sweep"] / "points.parquet")
    threshold = sweep_threshold(outputs["sweep"])  # the report's --target failed_logins<this
    meets = points[points["failed_logins.mean"] < threshold]
    confident = meets[meets["failed_logins.ci95_hi"].fillna(meets["failed_logins.mean"])
                      < threshold]
    assert 0 < len(meets) < len(points)
    text = _text(_parse(reports["sweep"]))
    assert (f"{len(meets)} of {len(points)} settings meet it on the mean, {len(confident)} "
            "with 95 % confidence") in text
    for _, row in points.iterrows():
        setting = (f"dns.ttl (s) = {row['dns.ttl_s']:g}, health_check.interval (s) = "
                   f"{row['health_check.interval_s']:g}")
        assert (setting in text) == (row["failed_logins.mean"] < threshold), setting


def test_sweep_report_draws_heatmaps_and_ci_lines(outputs, reports):
    checker = _parse(reports["sweep"])
    ids = set(checker.ids)
    assert {"fig-sweep_heatmap", "fig-sweep_lines_by"} <= ids
    assert "fig-sweep_lines" in set(_parse(reports["sweep1"]).ids)
    three = _parse(reports["sweep3"])
    assert "fig-sweep_heatmaps_by" in set(three.ids)
    assert "one panel per lockout.scope" in _text(three)
    assert "no chart fits" not in _text(three)


def test_markdown_has_its_pngs_beside_it(outputs, tmp_path):
    import drsim

    path = drsim.write_report(outputs["compare"], tmp_path / "wiki" / "review.md")
    assert path == tmp_path / "wiki" / "review.md"
    text = path.read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert images and all(name.startswith("review_") for name in images)
    for name in images:
        data = (path.parent / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
    assert sorted(p.name for p in path.parent.glob("*.png")) == sorted(images)
    assert text.startswith("# DR design comparison: tiny, tiny-global")
    assert "| metric | tiny | tiny-global |" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{empty}"], "not a drsim output directory"),
        (["{run}", "--target", "rto<3"], "--target rto: unknown metric 'rto' (did you mean 'rto_s'?)"),
        (["{run}", "--target", "rto_s<soon"], "--target rto_s: expected a number or a duration"),
        (["{run}", "--target", "rto_s"], "expected METRIC<VALUE"),
        (["{run}", "-o", "{tmp}/x.md", "--format", "html"], "a .md file for --format html"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(outputs, tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    filled = [a.format(empty=tmp_path / "empty", run=outputs["run"], tmp=tmp_path) for a in args]
    result = CliRunner().invoke(main, ["report", *filled])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


# --------------------------------------------------------------------------- real browser

CHROMIUM = shutil.which("chromium")
NO_CHROMIUM = ("chromium is not on PATH: install Debian's chromium package (`apt-get install "
               "chromium`; .ci/run and `make test` do so when they can) to run this test")


def _render(html: Path, tmp_path: Path) -> tuple[np.ndarray, str]:
    shot = tmp_path / f"{html.stem}.png"
    profile = tmp_path / f"profile-{html.stem}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
           f"--screenshot={shot}", "--window-size=1200,2000", html.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.is_file(), done.stderr[-2000:]
    return imread(shot), done.stderr


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if ":CONSOLE" in line or "Uncaught" in line or "Content Security Policy" in line]


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_the_console_check_catches_errors(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><title>x</title></head>"
                    "<body><p>x</p><script>throw new Error('boom')</script></body></html>",
                    encoding="utf-8")
    _, stderr = _render(page, tmp_path)
    assert any("boom" in line for line in _console_errors(stderr))


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
@pytest.mark.parametrize("kind", ("run", "compare", "sweep"))
def test_renders_in_headless_chromium(reports, tmp_path, kind):
    pixels, stderr = _render(reports[kind], tmp_path)
    assert _console_errors(stderr) == []
    grey = pixels[..., :3].mean(axis=2)
    assert grey.shape == (2000, 1200)
    assert float(grey.std()) > 0.05  # not a blank page
    assert float((grey < 0.5).mean()) > 0.005  # text and charts drawn in dark ink
    # the charts are images: the page below the header holds many mid-grey pixels too
    assert float(((grey > 0.2) & (grey < 0.9)).mean()) > 0.005
