"""The report page: one self-contained HTML file, every number from ``hyperopt_results.json``.

Images are embedded as ``data:`` URIs and the styles are inline, so the file opens offline,
can be mailed or archived alone, and needs no script at all.
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner._report._data import DataSummary
from runner._report._importance import EVALUATOR_NAME, TARGET_QUANTILE, ObjectiveImportance
from runner._spec import StudySpec

__all__ = ["ReportFigure", "build_html"]

TOP_TRIALS = 10
# The rows of the best-vs-baselines table after the objectives, and which way each is better.
COMPARED_METRICS: dict[str, str | None] = {
    "val.boundary_f1": "maximize",
    "val.boundary_f1_relaxed_1": "maximize",
    "val.boundary_f1_relaxed_2": "maximize",
    "val.macro_f1": "maximize",
    "val.chorus_f1": "maximize",
    "val.accuracy": "maximize",
    "val.pk": "minimize",
    "val.windowdiff": "minimize",
    "val.chorus_rate": None,
    "val.loss": "minimize",
}
STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running", "WAITING": "waiting"}


@dataclass(frozen=True)
class ReportFigure:
    """One figure of the report: the PNG to embed, or why there is none."""

    name: str
    title: str
    caption: str
    png: bytes | None = None
    missing: str | None = None


def build_html(
    spec: StudySpec,
    results: dict[str, Any],
    *,
    figures: Sequence[ReportFigure],
    importances: Sequence[ObjectiveImportance],
    data: DataSummary,
    generated_at: str,
) -> str:
    """The report page of a study as one HTML string (see the module docstring)."""
    trials = {t["number"]: t for t in results["trials"]}
    best = trials.get(results["best_trial"]) if results["best_trial"] is not None else None
    baselines = [t for t in results["trials"] if t["enqueued"] and t["state"] == "COMPLETE"]
    sections = [
        _header(spec, results, generated_at),
        _cards(spec, results, best, baselines, data),
        _best_section(spec, best, baselines, data),
        _pareto_section(spec, results) if len(spec.objectives) > 1 else "",
        _figures_section(figures),
        _top_section(spec, results),
        _importance_section(importances),
        _budget_section(spec, results),
        _data_section(results, data),
        _commands_section(spec, best),
        _spec_section(spec, results),
    ]
    body = "\n".join(s for s in sections if s)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>segrun report: {_e(spec.name)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


# -- sections ------------------------------------------------------------------------------------


def _header(spec: StudySpec, results: dict[str, Any], generated_at: str) -> str:
    objectives = ", ".join(f"{o.metric} ({o.direction})" for o in spec.objectives)
    counts = results["counts"]
    running = counts.get("RUNNING", 0)
    status = (f'<p class="status running">In progress: {running} trial(s) running. '
              "This page shows the storage as it was when it was generated.</p>" if running else "")
    return f"""<header>
<p class="eyebrow">segrun study report</p>
<h1>{_e(spec.name)}</h1>
<p class="meta">{'Objectives' if len(spec.objectives) > 1 else 'Objective'}: <b>{_e(objectives)}</b>
 &middot; spec <code>{_e(_shown(spec.path))}</code>
 &middot; fingerprint <code>{_e(results['spec_fingerprint'][:12])}</code>
 <br>storage <code>{_e(results['storage'])}</code> &middot; generated {_e(generated_at)}
 (exports of {_e(results['exported_at'])})</p>
{status}</header>"""


def _cards(spec: StudySpec, results: dict[str, Any], best: dict | None, baselines: list[dict],
           data: DataSummary) -> str:
    primary = spec.primary.metric
    counts = results["counts"]
    cards = []
    if best is None:
        cards.append(_card("Best", "&ndash;", "no complete trial yet"))
    else:
        cards.append(_card(f"Best {primary}", _number(results["best_score"]), f"trial #{best['number']}"))
    if baselines and best is not None:
        value = baselines[0]["values"][primary]
        cards.append(_card("Enqueued baseline", _number(value),
                           f"trial #{baselines[0]['number']}, gain {results['best_score'] - value:+.4f}"))
    if primary in data.repeat_line_scores:
        cards.append(_card("Repeat-line heuristic", _number(data.repeat_line_scores[primary]),
                           "no training, val songs"))
    done = sum(counts.get(s, 0) for s in ("COMPLETE", "PRUNED", "FAIL"))
    cards.append(_card("Trials", f"{done} / {results['n_trials_target']}",
                       ", ".join(f"{counts[s]} {label}" for s, label in STATES.items() if counts.get(s))))
    epochs = _epoch_budget(spec, results)
    cards.append(_card("Wall time", _duration(results["wall_seconds"]),
                       f"{epochs['saved_pruning']} epochs saved by pruning" if epochs["planned"] else ""))
    return '<section class="cards">' + "".join(cards) + "</section>"


def _best_section(spec: StudySpec, best: dict | None, baselines: list[dict], data: DataSummary) -> str:
    if best is None:
        return ('<section id="best"><h2>Best trial</h2><p>No complete trial yet: the tables fill in as '
                "trials finish.</p></section>")
    columns = [(f"best: trial #{best['number']}", best["metrics"])]
    columns += [(f"enqueued baseline: trial #{b['number']}", b["metrics"]) for b in baselines]
    if data.repeat_line_scores:
        columns.append(("repeat-line heuristic", data.repeat_line_scores))
    metrics = {o.metric: o.direction for o in spec.objectives}
    metrics.update({k: v for k, v in COMPARED_METRICS.items() if k not in metrics})
    rows = []
    for metric, direction in metrics.items():
        values = [column.get(metric) for _, column in columns]
        if values[0] is None:
            continue
        winner = _best_index(values, direction)
        cells = [f"<b>{_number(v)}</b>" if i == winner else _number(v) for i, v in enumerate(values)]
        label = _e(metric) + (" <span class=\"tag\">objective</span>" if metric in
                              {o.metric for o in spec.objectives} else "")
        if direction == "minimize":
            label += ' <span class="hint">lower is better</span>'
        rows.append([label, *cells])
    note = ""
    if best.get("seeds"):
        per_seed = ", ".join(f"seed {r['seed']}: {_number(r['values'][0])}" for r in best["seeds"])
        note += (f"<p>Every trial is scored by its mean over {len(best['seeds'])} seeds (metrics below are "
                 f"means); the best trial's {_e(spec.primary.metric)} per seed: {per_seed}.</p>")
    if len(spec.objectives) > 1:
        note += (f"<p>With {len(spec.objectives)} objectives the best trial is the Pareto-optimal trial with the "
                f"best {_e(spec.primary.metric)} (its config is <code>best_config.yaml</code>); the other "
                "Pareto-optimal trials are listed below.</p>")
    return (f'<section id="best"><h2>Best trial next to the baselines</h2>{note}'
            + _table(["metric", *(_e(name) for name, _ in columns)], rows)
            + "<p class=\"hint\">Bold: the best value of the row. The repeat-line heuristic tags a line chorus "
            "when it occurs twice in its song; it needs no training and is scored on the same validation "
            "songs.</p>" + _params_list(best["params"]) + "</section>")


def _pareto_section(spec: StudySpec, results: dict[str, Any]) -> str:
    front = results["pareto_front"]
    if not front:
        return '<section id="pareto"><h2>Pareto front</h2><p>No feasible complete trial yet.</p></section>'
    sign = 1.0 if spec.primary.direction == "maximize" else -1.0
    front = sorted(front, key=lambda p: (-sign * p["values"][spec.primary.metric], p["number"]))
    names = [p.name for p in spec.search_space]
    rows = []
    for point in front:
        picked = point["number"] == results["best_trial"]
        config = "best_config.yaml" if picked else f"pareto_configs/trial_{point['number']:03d}.yaml"
        rows.append([f"{'&#9733; ' if picked else ''}#{point['number']}",
                     *(_number(point["values"][o.metric]) for o in spec.objectives),
                     f"<code>{_e(config)}</code>",
                     *(_e(_param(point["params"].get(n))) for n in names)])
    return (f'<section id="pareto"><h2>Pareto front ({len(front)} trials)</h2>'
            "<p>No other feasible trial is at least as good in every objective and better in one. "
            "&#9733; marks the primary pick. Each row's config trains with "
            f"<code>segrun train {_e(_shown(spec.results_dir))}/&lt;config&gt;</code>.</p>"
            + _table(["trial", *(_e(o.metric) for o in spec.objectives), "config", *(_e(n) for n in names)],
                     rows) + "</section>")


def _figures_section(figures: Sequence[ReportFigure]) -> str:
    parts = []
    for figure in figures:
        if figure.png is None:
            parts.append(f'<figure id="fig-{_e(figure.name)}" class="missing"><h3>{_e(figure.title)}</h3>'
                         f"<p>Not drawn: {_e(figure.missing or 'nothing to show')}.</p></figure>")
            continue
        data = base64.b64encode(figure.png).decode("ascii")
        parts.append(f'<figure id="fig-{_e(figure.name)}">'
                     f'<img src="data:image/png;base64,{data}" alt="{_e(figure.title)}">'
                     f"<figcaption>{_e(figure.caption)} <span class=\"hint\">(plots/{_e(figure.name)}.png)</span>"
                     "</figcaption></figure>")
    return '<section id="plots"><h2>Plots</h2>' + "\n".join(parts) + "</section>"


def _top_section(spec: StudySpec, results: dict[str, Any]) -> str:
    primary = spec.primary
    complete = [t for t in results["trials"] if t["state"] == "COMPLETE"]
    if not complete:
        return ""
    sign = 1.0 if primary.direction == "maximize" else -1.0
    top = sorted(complete, key=lambda t: (-sign * t["values"][primary.metric], t["number"]))[:TOP_TRIALS]
    names = [p.name for p in spec.search_space]
    front = {p["number"] for p in results["pareto_front"]}
    extra = (["feasible"] if spec.constraints else []) + (["Pareto"] if len(spec.objectives) > 1 else [])
    rows = []
    for rank, trial in enumerate(top, start=1):
        flags = (["yes" if trial["feasible"] else "no"] if spec.constraints else [])
        flags += (["&#10003;" if trial["number"] in front else ""] if len(spec.objectives) > 1 else [])
        rows.append([str(rank), f"#{trial['number']}" + (" (baseline)" if trial["enqueued"] else ""),
                     *(_number(trial["values"][o.metric]) for o in spec.objectives),
                     str(trial["epochs_run"] or "&ndash;"), _seconds(trial["duration_seconds"]), *flags,
                     *(_e(_param(trial["params"].get(n))) for n in names)])
    header = ["rank", "trial", *(_e(o.metric) for o in spec.objectives), "epochs", "time", *extra,
              *(_e(n) for n in names)]
    return (f'<section id="top"><h2>Top {len(top)} trials by {_e(primary.metric)}</h2>'
            + _table(header, rows) + "</section>")


def _importance_section(importances: Sequence[ObjectiveImportance]) -> str:
    if not importances:
        return ""
    names = sorted({n for i in importances for n in i.importances},
                   key=lambda n: -max(i.importances.get(n, 0.0) for i in importances))
    notes = [f"{_e(i.metric)}: {_e(i.reason)}" for i in importances if i.reason]
    notes += [f"{_e(i.metric)}: {_e(i.caveat)}" for i in importances if i.caveat]
    text = (f"<p>{EVALUATOR_NAME} (Optuna's default evaluator): how much each parameter decides whether a "
            f"trial reaches the top {TARGET_QUANTILE:.0%} of the complete trials, maximised metrics counted "
            "high-is-good. Shares sum to 100% per objective.</p>")
    table = ""
    if names:
        rows = [[_e(n), *(f"{i.importances[n]:.0%}" if n in i.importances else "&ndash;" for i in importances)]
                for n in names]
        table = _table(["parameter", *(_e(f"{i.metric} ({i.direction})") for i in importances)], rows)
    note = "".join(f'<p class="hint">{n}</p>' for n in notes)
    return f'<section id="importance"><h2>Parameter importance</h2>{text}{table}{note}</section>'


def _budget_section(spec: StudySpec, results: dict[str, Any]) -> str:
    counts = results["counts"]
    epochs = _epoch_budget(spec, results)
    durations = [t["duration_seconds"] for t in results["trials"] if t["duration_seconds"]]
    rows = [[label, str(counts.get(s, 0))] for s, label in STATES.items()
            if counts.get(s) or s in {"COMPLETE", "PRUNED", "FAIL"}]
    rows.append(["target (budget.n_trials)", str(results["n_trials_target"])])
    facts = [
        ["wall time (first start to last end)", _duration(results["wall_seconds"])],
        ["training time (sum over trials)", _duration(sum(durations) if durations else None)],
        ["epochs trained", str(epochs["trained"])],
        [f"epochs without pruning or early stopping ({_per_trial(spec)})", str(epochs["planned"])],
        ["epochs saved by pruning", _share(epochs["saved_pruning"], epochs["planned"])],
        ["epochs saved by early stopping", _share(epochs["saved_early_stopping"], epochs["planned"])],
    ]
    failures = [[f"#{t['number']}", _e(t["failure_reason"] or "")] for t in results["trials"] if t["state"] == "FAIL"]
    failed = ("<h3>Failed trials</h3>" + _table(["trial", "reason"], failures)) if failures else ""
    return ('<section id="budget"><h2>Budget used</h2><div class="columns">'
            + _table(["trials", "count"], rows) + _table(["time and epochs", ""], facts)
            + f"</div>{failed}</section>")


def _data_section(results: dict[str, Any], data: DataSummary) -> str:
    parts = ['<section id="data"><h2>Data and features</h2>']
    if data.problem:
        parts.append(f"<p>The songs could not be read on this machine: {_e(data.problem)}</p>")
    if data.splits:
        rows = [[s.name, _e(s.source), f"{s.songs:,}", f"{s.lines:,}", f"{s.chorus_rate:.1%}",
                 f"{s.lines_per_song_median:g}"] for s in data.splits]
        parts.append(_table(["split", "source", "songs", "lines", "chorus lines", "lines per song (median)"],
                            rows))
    dim = results.get("feature_dim")
    parts.append(f"<p>Feature views on: {_e(', '.join(data.features_on))}"
                 + (f"; off: {_e(', '.join(data.features_off))}" if data.features_off else "")
                 + (f". Feature dimension: <b>{dim}</b> per line." if dim else ".")
                 + (f" Varied by the study: {_e(', '.join(data.searched_feature_keys))}."
                    if data.searched_feature_keys else "") + "</p></section>")
    return "".join(parts)


def _commands_section(spec: StudySpec, best: dict | None) -> str:
    results_dir = _shown(spec.results_dir)
    lines = []
    if best is not None:
        lines += [f"# retrain the best config (trial #{best['number']})",
                  f"segrun train {results_dir}/best_config.yaml"]
    lines += ["# resume the study (runs until budget.n_trials trials are done)", f"segrun {_shown(spec.path)}",
              "# redraw this report from the storage (also while the study runs elsewhere)",
              f"segrun report {results_dir}",
              "# live web UI (pip install 'segrun[dashboard]')", f"segrun dashboard {results_dir}"]
    return (f'<section id="commands"><h2>Commands</h2><pre>{_e(chr(10).join(lines))}</pre></section>')


def _spec_section(spec: StudySpec, results: dict[str, Any]) -> str:
    try:
        text = spec.path.read_text(encoding="utf-8")
    except OSError:
        text = json.dumps(spec.normalized(), indent=2)
    return (f'<section id="spec"><h2>Spec</h2><details><summary><code>{_e(_shown(spec.path))}</code>, fingerprint '
            f"<code>{_e(results['spec_fingerprint'])}</code></summary><pre>{_e(text)}</pre></details></section>")


# -- pieces --------------------------------------------------------------------------------------


def _epoch_budget(spec: StudySpec, results: dict[str, Any]) -> dict[str, int]:
    """Epochs trained, planned (``epochs_max`` per finished trial) and saved, by cause."""
    finished = [t for t in results["trials"] if t["state"] in {"COMPLETE", "PRUNED"}]
    cap = spec.budget.epochs_per_trial

    def saved(state: str) -> int:
        return sum(cap - (t["epochs_run"] or 0) for t in finished if t["state"] == state)

    return {
        "trained": sum(t["epochs_run"] or 0 for t in results["trials"]),
        "planned": cap * len(finished),
        "saved_pruning": saved("PRUNED"),
        "saved_early_stopping": saved("COMPLETE"),
    }


def _per_trial(spec: StudySpec) -> str:
    budget = spec.budget
    if budget.seeds_per_trial == 1:
        return f"{budget.epochs_max} per trial"
    return f"{budget.epochs_max} × {budget.seeds_per_trial} seeds per trial"


def _best_index(values: list[float | None], direction: str | None) -> int | None:
    known = [(v, i) for i, v in enumerate(values) if v is not None]
    if direction is None or len(known) < 2:
        return None
    return (max if direction == "maximize" else min)(known)[1]


def _card(label: str, value: str, detail: str) -> str:
    return (f'<div class="card"><div class="label">{_e(label)}</div><div class="value">{value}</div>'
            f'<div class="detail">{_e(detail)}</div></div>')


def _params_list(params: dict[str, Any]) -> str:
    items = "".join(f"<li><code>{_e(k)}</code>: {_e(_param(v))}</li>" for k, v in sorted(params.items()))
    return f"<h3>Best parameters</h3><ul class=\"params\">{items}</ul>"


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A table of HTML cells (callers escape text)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _number(value: Any) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4f}" if isinstance(value, float) else _e(str(value))


def _param(value: Any) -> str:
    if value is None:
        return "\u2013"  # a conditional parameter this trial did not sample
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _share(part: int, whole: int) -> str:
    return f"{part} ({part / whole:.0%})" if whole else str(part)


def _seconds(value: float | None) -> str:
    return "&ndash;" if value is None else f"{value:.1f} s"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "&ndash;"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (what a user types)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return Path(path).as_posix()
    return Path(relative).as_posix() if not relative.startswith("..") else Path(path).as_posix()


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


_CSS = """
:root { --ink: #1d2733; --muted: #5b6673; --line: #dde3ea; --accent: #1f77b4; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 24px 60px; }
h1 { margin: 0 0 6px; font-size: 30px; }
h2 { margin: 34px 0 12px; font-size: 20px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { margin: 18px 0 8px; font-size: 16px; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 13px; }
pre { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px; overflow-x: auto; }
.eyebrow { margin: 0; color: var(--accent); font-weight: 600; text-transform: uppercase; font-size: 12px;
           letter-spacing: .08em; }
.meta { color: var(--muted); margin: 0; }
.status.running { background: #e8f5e9; border: 1px solid #a5d6a7; padding: 8px 12px; border-radius: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; margin-top: 20px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 26px; font-weight: 650; margin: 2px 0; }
.card .detail { color: var(--muted); font-size: 13px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; background: #fff; margin: 6px 0; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 5px 9px; text-align: left; white-space: nowrap; }
th { background: #eef2f6; font-weight: 600; }
td { font-variant-numeric: tabular-nums; }
.tag { background: #e3effa; color: var(--accent); border-radius: 4px; padding: 0 5px; font-size: 12px; }
.hint { color: var(--muted); font-size: 13px; }
.params { columns: 2; margin: 0; padding-left: 20px; }
.columns { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
figure { margin: 0 0 26px; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
figure h3 { margin-top: 0; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
figure.missing { color: var(--muted); }
details summary { cursor: pointer; }
"""
