"""Reports of a run: the metric table for the terminal, Markdown, and HTML with matplotlib plots."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LEADING_METRICS = (
    "questions",
    "errors",
    "recall@1",
    "recall@3",
    "recall@5",
    "recall@10",
    "recall@20",
    "recall@100",
    "evidence_recall@1",
    "evidence_recall@3",
    "evidence_recall@5",
    "evidence_recall@10",
    "evidence_recall@20",
    "mrr@10",
    "ndcg@10",
    "token_f1",
    "exact_match",
    "token_recall",
    "answered_token_f1",
    "citation_precision",
    "citation_support",
    "citation_recall",
    "faithfulness",
    "abstention_precision",
    "abstention_recall",
    "abstention_f1",
    "false_refusal_rate",
    "decision_accuracy",
    "abstained",
)
TAG_METRICS = (
    "questions",
    "evidence_recall@5",
    "ndcg@10",
    "token_f1",
    "citation_recall",
    "decision_accuracy",
)


def ordered_metrics(metrics: dict[str, dict[str, float]]) -> list[str]:
    """Metric names present in any column: the leading ones in a fixed order, latency and the rest after."""
    present = {name for column in metrics.values() for name in column}
    leading = [m for m in LEADING_METRICS if m in present]
    latency = sorted((m for m in present if m.startswith("latency_")), key=_latency_order)
    rest = sorted(present - set(leading) - set(latency))
    return leading + rest + latency


def _latency_order(name: str) -> tuple[int, str]:
    from .evaluators import STAGES

    stage = name.removeprefix("latency_").rsplit("_p", 1)[0]
    return (STAGES.index(stage) if stage in STAGES else len(STAGES), name)


def format_value(name: str, value: float | None) -> str:
    if value is None:
        return "–"
    if name in ("questions", "errors", "queries", "documents") or name.endswith("_count"):
        return f"{int(value)}"
    if name.endswith("_ms"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def metric_rows(metrics: dict[str, dict[str, float]], names: Sequence[str] | None = None) -> list[list[str]]:
    columns = list(metrics)
    rows = [["metric", *columns]]
    for name in names or ordered_metrics(metrics):
        rows.append([name, *(format_value(name, metrics[c].get(name)) for c in columns)])
    return rows


def text_table(rows: list[list[str]]) -> str:
    """A plain aligned table for the terminal."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    align = ["---", *("---:" for _ in rows[0][1:])]
    return "\n".join([line(rows[0]), "| " + " | ".join(align) + " |", *(line(r) for r in rows[1:])])


def html_table(rows: list[list[str]], text_columns: Sequence[int] = (0,)) -> str:
    """An HTML table; numbers align right, the `text_columns` left."""

    def cell(tag: str, index: int, value: str) -> str:
        align = ' class="text"' if index in text_columns else ""
        return f"<{tag}{align}>{html.escape(value)}</{tag}>"

    head = "".join(cell("th", i, c) for i, c in enumerate(rows[0]))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows[1:]
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --- per-question views ---------------------------------------------------------------------------------


def question_rows(records: Sequence[dict[str, Any]], limit: int | None = None) -> list[list[str]]:
    """One row per question: outcome, scores and the (shortened) answer, weakest first."""
    rows = [["id", "tags", "outcome", "F1", "ev.recall@5", "answer"]]
    ranked = sorted(records, key=case_quality)
    for record in ranked[:limit]:
        retrieval = record.get("retrieval") or {}
        scores = record.get("scores") or {}
        rows.append(
            [
                record["id"],
                ", ".join(record.get("tags", [])),
                outcome(record),
                format_value("f1", scores.get("token_f1")),
                format_value("recall", retrieval.get("evidence_recall@5")),
                shorten(record.get("error") or record.get("answer") or "", 160),
            ]
        )
    return rows


def outcome(record: dict[str, Any]) -> str:
    if record.get("error"):
        return "error"
    if record["answerable"]:
        return "wrongly refused" if record["abstained"] else "answered"
    return "abstained" if record["abstained"] else "answered unanswerable"


def case_quality(record: dict[str, Any]) -> float:
    """A single number per question to sort by and to compare runs: 0 for a wrong decision, else the mean
    of token F1, evidence recall@5 and the share of gold evidence cited."""
    if record.get("error"):
        return -1.0
    if not record["answerable"]:
        return 1.0 if record["abstained"] else 0.0
    if record["abstained"]:
        return 0.0
    scores = record.get("scores") or {}
    retrieval = record.get("retrieval") or {}
    gold = scores.get("gold_items") or 0
    cited = scores.get("gold_cited", 0) / gold if gold else 0.0
    return (scores.get("token_f1", 0.0) + retrieval.get("evidence_recall@5", 0.0) + cited) / 3


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- plots ----------------------------------------------------------------------------------------------


def _pyplot():  # type: ignore[no-untyped-def]
    try:
        import logging

        import matplotlib

        logging.getLogger("matplotlib").setLevel(logging.WARNING)
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def plot_recall_curves(metrics: dict[str, dict[str, float]], path: Path, prefixes: Sequence[str]) -> bool:
    """Recall@k against k, one line per variant and recall kind."""
    plt = _pyplot()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4))
    drawn = False
    for variant, values in metrics.items():
        for prefix in prefixes:
            points = sorted(
                (int(m.group(1)), v)
                for name, v in values.items()
                if (m := re.fullmatch(rf"{prefix}@(\d+)", name))
            )
            if points:
                ax.plot(*zip(*points, strict=True), marker="o", label=f"{variant} {prefix}")
                drawn = True
    ax.set_xscale("log")
    ax.set_xlabel("k (passages)")
    ax.set_ylabel("recall")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(fontsize=7)
    ax.set_title("Recall@k")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return drawn


def plot_tag_bars(by_tag: dict[str, dict[str, float]], path: Path, names: Sequence[str]) -> bool:
    """Grouped bars: selected metrics per tag."""
    plt = _pyplot()
    if plt is None or not by_tag:
        return False
    tags = list(by_tag)
    fig, ax = plt.subplots(figsize=(min(14.0, max(6.4, 0.3 * len(tags) * len(names) / 2)), 4.2))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        values = [by_tag[t].get(name, 0.0) for t in tags]
        ax.bar([x + i * width for x in range(len(tags))], values, width, label=name)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(tags))], tags, rotation=45, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, ncol=len(names))
    ax.set_title("Per tag")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_latency(samples: dict[str, list[float]], path: Path) -> bool:
    """Histogram of total latency per question, one series per variant."""
    plt = _pyplot()
    samples = {k: v for k, v in samples.items() if v}
    if plt is None or not samples:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for variant, values in samples.items():
        ax.hist(values, bins=30, alpha=0.55, label=variant)
    ax.set_xlabel("total latency per question (ms)")
    ax.set_ylabel("questions")
    ax.legend(fontsize=7)
    ax.set_title("Latency")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_lines(
    x: Sequence[float],
    series: dict[str, Sequence[float]],
    path: Path,
    *,
    xlabel: str,
    title: str,
    mark: float | None = None,
) -> bool:
    plt = _pyplot()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for label, values in series.items():
        ax.plot(list(x), list(values), label=label)
    if mark is not None:
        ax.axvline(mark, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# --- documents ------------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 75rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; vertical-align: top; }
th.text, td.text { text-align: left; }
img { max-width: 100%; margin: 0.5rem 0; }
code { background: #f4f4f4; padding: 0 0.2rem; }
"""


class ReportDocument:
    """Sections written once as Markdown and once as HTML (plots embedded in the HTML)."""

    def __init__(self, title: str, folder: Path) -> None:
        self.title = title
        self.folder = folder
        self.md: list[str] = [f"# {title}", ""]
        self.html: list[str] = [f"<h1>{html.escape(title)}</h1>"]

    def heading(self, text: str) -> None:
        self.md += [f"## {text}", ""]
        self.html.append(f"<h2>{html.escape(text)}</h2>")

    def paragraph(self, text: str) -> None:
        self.md += [text, ""]
        self.html.append(f"<p>{html.escape(text)}</p>")

    def table(self, rows: list[list[str]], text_columns: Sequence[int] = (0,)) -> None:
        self.md += [markdown_table(rows), ""]
        self.html.append(html_table(rows, text_columns))

    def image(self, path: Path, caption: str) -> None:
        relative = path.relative_to(self.folder).as_posix()
        self.md += [f"![{caption}]({relative})", ""]
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        self.html.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}"></figure>'
        )

    def write(self) -> None:
        (self.folder / "report.md").write_text("\n".join(self.md), encoding="utf-8")
        page = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(self.html)
            + "</body></html>"
        )
        (self.folder / "report.html").write_text(page, encoding="utf-8")


def write_answer_report(folder: Path, results: dict[str, Any]) -> None:
    """Reports of a question-answering run (`assistant eval run`)."""
    plots = folder / "plots"
    plots.mkdir(exist_ok=True)
    metrics: dict[str, dict[str, float]] = results["metrics"]
    doc = ReportDocument(f"Evaluation: {results['dataset']['name']}", folder)
    doc.paragraph(_describe_run(results))
    doc.heading("Metrics")
    doc.table(metric_rows(metrics))
    if plot_recall_curves(metrics, plots / "recall_at_k.png", ("recall", "evidence_recall")):
        doc.image(plots / "recall_at_k.png", "Recall@k")
    for variant, by_tag in results.get("by_tag", {}).items():
        doc.heading(f"Per tag — {variant}")
        doc.table(metric_rows(by_tag, [m for m in TAG_METRICS if any(m in v for v in by_tag.values())]))
        safe = re.sub(r"[^A-Za-z0-9]+", "-", variant)
        names = [m for m in ("evidence_recall@5", "token_f1", "citation_recall", "decision_accuracy")]
        if plot_tag_bars(by_tag, plots / f"tags-{safe}.png", names):
            doc.image(plots / f"tags-{safe}.png", f"Per tag ({variant})")
    latency = {
        v: [r["timings"]["total"] for r in records if r.get("timings")]
        for v, records in results["records"].items()
    }
    if plot_latency(latency, plots / "latency.png"):
        doc.heading("Latency")
        doc.image(plots / "latency.png", "Latency histogram")
    for variant, records in results["records"].items():
        doc.heading(f"Questions — {variant} (weakest first)")
        doc.table(question_rows(records), text_columns=(0, 1, 2, 5))
    doc.write()


def write_retrieval_report(folder: Path, results: dict[str, Any]) -> None:
    """Reports of a BEIR retrieval run (`assistant eval retrieval`)."""
    plots = folder / "plots"
    plots.mkdir(exist_ok=True)
    metrics = results["metrics"]
    doc = ReportDocument(f"Retrieval: {results['dataset']['name']}", folder)
    doc.paragraph(_describe_run(results))
    doc.table(metric_rows(metrics))
    if plot_recall_curves(metrics, plots / "recall_at_k.png", ("recall",)):
        doc.image(plots / "recall_at_k.png", "Recall@k")
    latency = {m: [r["ms"] for r in recs] for m, recs in results["records"].items()}
    if plot_latency(latency, plots / "latency.png"):
        doc.image(plots / "latency.png", "Retrieval latency")
    doc.write()


def _describe_run(results: dict[str, Any]) -> str:
    dataset = results["dataset"]
    parts = [f"Dataset {dataset['name']} ({dataset.get('source', '')}), {dataset.get('cases', '?')} cases"]
    if results.get("started"):
        parts.append(f"started {results['started']}, finished {results.get('finished', '?')}")
    settings = results.get("settings") or {}
    answer = settings.get("answer") or {}
    if answer:
        parts.append(f"abstain_threshold {answer.get('abstain_threshold')}")
    return "; ".join(parts) + "."
