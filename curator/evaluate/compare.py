"""Base versus fine-tuned: the Nova W-2 post's table (category x metric: base, fine-tuned,
improvement) as Markdown and HTML, a PNG bar chart of F1 per category, and per-field
edit-distance heat maps across documents like the ms-swift sample's."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

METRICS = ("accuracy", "precision", "recall", "f1")
CODES = {"invalid JSON": -1, "missing key": -2, "null prediction": -3, "no truth": -4}


def comparison_rows(base: dict[str, Any], tuned: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    categories = sorted(set(base.get("categories", {})) | set(tuned.get("categories", {})))
    for category in [*categories, "overall"]:
        a = base["overall"] if category == "overall" else base.get("categories", {}).get(category, {})
        b = tuned["overall"] if category == "overall" else tuned.get("categories", {}).get(category, {})
        for metric in METRICS:
            before, after = a.get(metric), b.get(metric)
            rows.append({"category": category, "metric": metric, "base": before, "fine_tuned": after,
                         "improvement": None if before is None or after is None else after - before})
    rows.append({"category": "overall", "metric": "invalid JSON rate", "base": base.get("invalid_json_rate"),
                 "fine_tuned": tuned.get("invalid_json_rate"),
                 "improvement": None if base.get("invalid_json_rate") is None or tuned.get("invalid_json_rate") is None
                 else tuned["invalid_json_rate"] - base["invalid_json_rate"]})
    return rows


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.2f} pts"


def markdown_table(rows: list[dict[str, Any]], base_name: str, tuned_name: str) -> str:
    lines = [f"| category | metric | base ({base_name}) | fine-tuned ({tuned_name}) | improvement |",
             "| --- | --- | ---: | ---: | ---: |"]
    lines += [f"| {r['category']} | {r['metric']} | {_pct(r['base'])} | {_pct(r['fine_tuned'])} | "
              f"{_points(r['improvement'])} |" for r in rows]
    return "\n".join(lines) + "\n"


def html_report(rows: list[dict[str, Any]], base_name: str, tuned_name: str, images: list[str]) -> str:
    body = "".join(
        f"<tr><td>{html.escape(r['category'])}</td><td>{html.escape(r['metric'])}</td><td>{_pct(r['base'])}</td>"
        f"<td>{_pct(r['fine_tuned'])}</td><td>{_points(r['improvement'])}</td></tr>" for r in rows)
    pictures = "".join(f'<p><img src="{html.escape(name)}" style="max-width: 100%"></p>' for name in images)
    return ("<!doctype html><meta charset='utf-8'><title>Curator evaluation</title>"
            "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;border-bottom:1px solid #ddd}"
            "td:nth-child(n+3){text-align:right}</style>"
            f"<h1>{html.escape(base_name)} vs {html.escape(tuned_name)}</h1>"
            "<table><tr><th>category</th><th>metric</th><th>base</th><th>fine-tuned</th><th>improvement</th></tr>"
            f"{body}</table>{pictures}")


def f1_chart(rows: list[dict[str, Any]], path: Path, base_name: str, tuned_name: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f1 = [r for r in rows if r["metric"] == "f1"]
    labels = [r["category"] for r in f1]
    xs = range(len(labels))
    figure, axes = plt.subplots(figsize=(max(6, len(labels) * 1.2), 4), dpi=120)
    axes.bar([x - 0.2 for x in xs], [(r["base"] or 0) * 100 for r in f1], width=0.4, label=base_name)
    axes.bar([x + 0.2 for x in xs], [(r["fine_tuned"] or 0) * 100 for r in f1], width=0.4, label=tuned_name)
    axes.set_xticks(list(xs), labels, rotation=20, ha="right")
    axes.set_ylabel("F1 (%)")
    axes.set_ylim(0, 105)
    axes.set_title("F1 per category")
    axes.legend(fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)
    return path


def heatmap(run: dict[str, Any], path: Path, max_documents: int = 60) -> Path:
    """Documents x fields: the edit distance of each value; negative codes for the special
    cases (invalid JSON, missing key, null prediction, a value where none was expected)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap

    cells = run.get("cells", [])
    documents = sorted({c["document"] for c in cells})[:max_documents]
    fields = sorted({c["field"] for c in cells})
    grid = np.full((len(documents), len(fields)), np.nan)
    index_d = {d: i for i, d in enumerate(documents)}
    index_f = {f: i for i, f in enumerate(fields)}
    for cell in cells:
        if cell["document"] in index_d:
            value = cell["value"]
            grid[index_d[cell["document"]], index_f[cell["field"]]] = CODES.get(value, value) if isinstance(
                value, str) else min(value, 20)
    figure, axes = plt.subplots(figsize=(max(6, len(fields) * 0.35), max(3, len(documents) * 0.25)), dpi=110)
    special = np.where(grid < 0, grid, np.nan)
    distances = np.where(grid >= 0, grid, np.nan)
    image = axes.imshow(distances, cmap="Reds", vmin=0, vmax=max(5, np.nanmax(distances) if np.isfinite(
        np.nanmax(distances if distances.size else [0])) else 5), aspect="auto")
    axes.imshow(special, cmap=ListedColormap(["#7b3294", "#c2a5cf", "#a6dba0", "#008837"]), vmin=-4, vmax=-1,
                aspect="auto")
    axes.set_xticks(range(len(fields)), fields, rotation=90, fontsize=6)
    axes.set_yticks(range(len(documents)), documents, fontsize=6)
    axes.set_title(f"{run.get('name', '')}: edit distance per field (purple/green: invalid JSON, missing key, "
                   "null prediction, no truth)", fontsize=8)
    figure.colorbar(image, ax=axes, fraction=0.02)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)
    return path


def write_comparison(base: dict[str, Any], tuned: dict[str, Any], out: Path) -> dict[str, Any]:
    """Base versus fine-tuned, as the published table (category x metric), an F1 bar chart and
    edit-distance heat maps: Markdown, HTML and PNG files in ``out``.
    """
    rows = comparison_rows(base, tuned)
    out.mkdir(parents=True, exist_ok=True)
    chart = f1_chart(rows, out / "f1_by_category.png", base["name"], tuned["name"])
    maps = [heatmap(base, out / "heatmap_base.png"), heatmap(tuned, out / "heatmap_fine_tuned.png")]
    markdown = markdown_table(rows, base["name"], tuned["name"])
    (out / "comparison.md").write_text(markdown, encoding="utf-8")
    (out / "comparison.html").write_text(html_report(rows, base["name"], tuned["name"],
                                                     [chart.name] + [m.name for m in maps]), encoding="utf-8")
    return {"rows": rows, "markdown": markdown, "files": sorted(str(p) for p in out.iterdir())}
