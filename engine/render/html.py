# ruff: noqa: E501  (markup and CSS strings read better unbroken)
"""The HTML report: one self-contained, offline page (inline CSS, no JavaScript).

Every value that can come from an input document goes through ``h`` (``html.escape`` with
quotes); a Content-Security-Policy meta tag forbids scripts and remote loads as a second line of
defence. Status colours always come with the status word.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from engine.model.findings import Evidence, Finding
from engine.render.common import (
    STATUS_WORD,
    STATUSES,
    cell_counts,
    count,
    subject_label,
    total,
    worst,
)
from engine.render.context import ReportContext, TrendPoint

COLOURS: dict[str, tuple[str, str, str]] = {
    # status: (strong colour, text on strong, light cell shade)
    "breach": ("#b3261e", "#ffffff", "#fde0dc"),
    "gap": ("#f2b600", "#1f1f1f", "#fff1c2"),
    "compliant": ("#1e7b3a", "#ffffff", "#dcf1e2"),
    "not_applicable": ("#6b7b85", "#ffffff", "#e9edf0"),
}


def h(value: object) -> str:
    """Escape for HTML text and attribute values."""
    return escape("" if value is None else str(value), quote=True)


_BASE_CSS = (
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:#1d2327;background:#f6f7f8}"
    "header.top{background:#1f2a36;color:#fff;padding:18px 28px}"
    "header.top h1{margin:0;font-size:22px}header.top p{margin:4px 0 0;color:#d5dde5}"
    "main{padding:8px 20px 24px;max-width:1600px}"
    "section{background:#fff;border:1px solid #dde2e6;border-radius:6px;padding:14px 14px;margin:16px 0}"
    "h2{font-size:18px;margin:0 0 10px}h3{font-size:16px;margin:18px 0 8px}"
    ".cards{display:flex;gap:12px;flex-wrap:wrap;list-style:none;padding:0;margin:0}"
    ".cards li{border-radius:6px;padding:8px 14px;min-width:130px}"
    ".cards .n{font-size:26px;font-weight:700;display:block}.cards .w{font-weight:600}"
    ".cards li.total{background:#eef1f4;color:#1d2327}"
    ".badge{display:inline-block;border-radius:4px;padding:1px 7px;font-size:12px;font-weight:700;"
    "letter-spacing:.03em;text-transform:uppercase}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse}"
    "#matrix{width:100%;table-layout:fixed}"
    "#matrix col.party{width:84px}"
    "#matrix th,#matrix td{border:1px solid #c9d1d8;padding:3px 2px;text-align:center}"
    "#matrix thead th{background:#eef1f4;font-size:12px;white-space:nowrap}"
    "#matrix tbody th{text-align:left;background:#f7f9fa;font-size:13px;white-space:nowrap}"
    "#matrix tbody th .pname{display:block;font-size:12px}"
    "#matrix td a{color:#1d2327;text-decoration:none;display:block}"
    "#matrix td a:hover,#matrix td a:focus{text-decoration:underline}"
    "#matrix .w{font-weight:700;font-size:9.5px;letter-spacing:-.1px;line-height:1.2;display:block}"
    "#matrix .c{font-size:11px;color:#3c4850;display:block}"
    "#matrix td.none{color:#8a959c}"
    ".pname{color:#52606b;font-weight:400}"
    ".legend{font-size:13px;color:#3c4850;margin:8px 0 0}"
    ".legend span{margin-right:12px}"
    "table.data{width:100%;font-size:13px}"
    "table.data th,table.data td{border-bottom:1px solid #e3e7ea;padding:4px 6px;text-align:left;vertical-align:top}"
    "table.data th{background:#f3f5f7}table.narrow{width:auto;min-width:50%}"
    ".num{text-align:right!important;font-variant-numeric:tabular-nums}"
    ".mono,code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,monospace;font-size:12px;word-break:break-all}"
    ".commitment{border-top:1px solid #e3e7ea;margin-top:12px}"
    ".sev{font-size:12px;font-weight:400;color:#52606b;margin-left:8px}"
    ".finding{border:1px solid #dde2e6;border-left:6px solid #999;border-radius:4px;padding:8px 12px;margin:8px 0;background:#fff}"
    ".finding .subject{font-weight:600;margin-left:6px}"
    ".finding .flags{font-size:12px;color:#52606b;margin-left:6px}"
    ".finding .change{font-size:12px;font-weight:700;margin-left:6px;color:#1f2a36}"
    ".finding p{margin:6px 0}"
    ".cf{color:#1e5a2d}"
    ".signed{font-weight:600;color:#1e5a2d}.unsigned{font-weight:600;color:#b3261e}"
    "dl.values{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:6px 0;font-size:13px}"
    "dl.values dt{color:#52606b}dl.values dd{margin:0}"
    "blockquote{margin:6px 0;padding:4px 10px;border-left:3px solid #c9d1d8;color:#3c4850;font-size:13px}"
    "details summary{cursor:pointer;font-size:13px;color:#33546e}"
    "footer{padding:0 20px 24px;max-width:1600px}"
    "footer section{font-size:13px}"
    "dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:0 0 10px}"
    "dl.meta dt{font-weight:600}dl.meta dd{margin:0}"
    "a{color:#1a5a96}"
    "@media print{body{background:#fff}section{border:0;padding:0}header.top{background:#fff;color:#000}"
    ".finding{break-inside:avoid}}"
)
"""The page's style, but for the status colours (``_css`` adds those from ``COLOURS``)."""


def _css() -> str:
    status_rules = []
    for st, (strong, on_strong, light) in COLOURS.items():
        status_rules.append(
            f".b-{st}{{background:{strong};color:{on_strong}}}"
            f".m-{st}{{background:{light}}}"
            f".finding.st-{st}{{border-left-color:{strong}}}"
            f".bar-{st}{{fill:{strong}}}"
        )
    return _BASE_CSS + "".join(status_rules)


def _signer_cell(e: Evidence) -> str:
    """Who signed the evidence's report: holder and key id, admitted unsigned, or unverified."""
    if e.key_id is not None:
        return (
            f'<span class="signed">{h(e.signer)}</span> '
            f'<span class="mono" title="key id {h(e.key_id)}">key {h(e.key_id)}</span>'
        )
    if e.admitted_unsigned:
        return '<span class="unsigned">unsigned, admitted at open-source rank</span>'
    return '<span class="unsigned">not verified (no key registry)</span>'


def _badge(status: str) -> str:
    return f'<span class="badge b-{h(status)}">{h(STATUS_WORD[status])}</span>'


def _anchor_party(code: str) -> str:
    return f"party-{code}"


def _anchor_cell(code: str, cid: str) -> str:
    return f"c-{code}-{cid}"


def _summary(ctx: ReportContext) -> list[str]:
    s = ctx.doc.summary
    out = [
        '<section id="summary" aria-labelledby="summary-h">',
        '<h2 id="summary-h">Summary</h2>',
        '<ul class="cards">',
    ]
    for st in STATUSES:
        out.append(
            f'<li class="b-{st}"><span class="n">{count(s, st)}</span><span class="w">{h(STATUS_WORD[st])}</span></li>'
        )
    out.append(
        f'<li class="total"><span class="n">{total(s)}</span><span class="w">findings</span></li>'
    )
    out.append("</ul>")
    n_parties = len(ctx.rows(ctx.doc.findings))
    n_commitments = len(ctx.columns(ctx.doc.findings))
    out.append(
        f"<p>{n_parties} part{'y' if n_parties == 1 else 'ies'} × {n_commitments} commitment"
        f"{'' if n_commitments == 1 else 's'} evaluated as of <strong>{h(ctx.doc.as_of.isoformat())}</strong>.</p>"
    )
    out.append("</section>")
    return out


def _trend(points: Sequence[TrendPoint]) -> list[str]:
    out = [
        '<section id="trend" aria-labelledby="trend-h">',
        '<h2 id="trend-h">Trend</h2>',
        "<p>Findings per status on each as-of date. The matrix and the findings below are for the latest date.</p>",
        '<table class="data narrow" id="trend-table"><thead><tr><th>As of</th>',
    ]
    for st in STATUSES:
        out.append(f'<th class="num">{h(STATUS_WORD[st])}</th>')
    out.append('<th class="num">total</th><th>Run</th></tr></thead><tbody>')
    for t in points:
        out.append(f"<tr><td>{h(t.as_of.isoformat())}</td>")
        for st in STATUSES:
            out.append(f'<td class="num">{count(t.summary, st)}</td>')
        out.append(
            f'<td class="num">{total(t.summary)}</td><td class="mono">{h(t.run_id)}</td></tr>'
        )
    out.append("</tbody></table>")
    return [*out, _trend_bars(points) + "</section>"]


_LABEL_W, _BAR_W, _ROW_H = 96, 620, 24
"""The trend chart: width of the date labels, of the longest bar, height of a row (pixels)."""


def _bar(t: TrendPoint, y: int, biggest: int) -> list[str]:
    """One date's stacked bar: its label, a rectangle per status, its total."""
    out = [
        f'<text x="0" y="{y + 15}" font-size="12" fill="#1d2327">{h(t.as_of.isoformat())}</text>'
    ]
    x = float(_LABEL_W)
    for st in STATUSES:
        n = count(t.summary, st)
        if not n:
            continue
        w = _BAR_W * n / biggest
        out.append(
            f'<rect class="bar-{st}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{_ROW_H - 6}">'
            f"<title>{n} {h(STATUS_WORD[st])}</title></rect>"
        )
        x += w
    out.append(
        f'<text x="{x + 6:.1f}" y="{y + 15}" font-size="12" fill="#1d2327">{total(t.summary)}</text>'
    )
    return out


def _trend_bars(points: Sequence[TrendPoint]) -> str:
    """Inline SVG: one stacked bar per date, and a legend."""
    biggest = max((total(t.summary) for t in points), default=0) or 1
    height = _ROW_H * len(points) + 26
    desc = "; ".join(
        f"{t.as_of.isoformat()}: "
        + ", ".join(f"{count(t.summary, st)} {STATUS_WORD[st]}" for st in STATUSES)
        for t in points
    )
    out = [
        f'<svg id="trend-bars" role="img" aria-label="{h(desc)}" width="{_LABEL_W + _BAR_W + 60}" '
        f'height="{height}" viewBox="0 0 {_LABEL_W + _BAR_W + 60} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, t in enumerate(points):
        out.extend(_bar(t, i * _ROW_H + 4, biggest))
    ly = _ROW_H * len(points) + 16
    lx = float(_LABEL_W)
    for st in STATUSES:
        out.append(
            f'<rect class="bar-{st}" x="{lx:.1f}" y="{ly - 9}" width="10" height="10"></rect>'
            f'<text x="{lx + 14:.1f}" y="{ly}" font-size="11" fill="#1d2327">{h(STATUS_WORD[st])}</text>'
        )
        lx += 120
    out.append("</svg>")
    return "\n".join(out)


def _delta(ctx: ReportContext, anchors: dict[str, str]) -> list[str]:
    d = ctx.delta
    assert d is not None
    out = [
        '<section id="delta" aria-labelledby="delta-h">',
        '<h2 id="delta-h">Changes since the baseline</h2>',
        f'<p>Baseline <span class="mono">{h(d.baseline.path)}</span> (as of {h(d.baseline.as_of.isoformat())}, '
        f'run <span class="mono">{h(d.baseline.run_id)}</span>): <strong>{d.summary.new} new</strong>, '
        f"<strong>{d.summary.changed} changed</strong>, {d.summary.resolved} resolved, "
        f"{d.summary.unchanged} unchanged (not listed). The matrix and the sections below show the new and "
        "changed findings only.</p>",
        '<table class="data" id="delta-table"><thead><tr><th>Change</th><th>Party</th><th>Commitment</th>'
        "<th>Subject</th><th>Before</th><th>Now</th><th>What changed</th></tr></thead><tbody>",
    ]

    def link(f: Finding) -> str:
        a = anchors.get(f.fingerprint())
        text = h(subject_label(f))
        return f'<a href="#{h(a)}">{text}</a>' if a else text

    for f in d.new:
        out.append(
            f"<tr><td>new</td><td>{h(f.party)}</td><td>{h(f.commitment)}</td><td>{link(f)}</td>"
            f"<td>—</td><td>{_badge(f.status)}</td><td></td></tr>"
        )
    for c in d.changed:
        out.append(
            f"<tr><td>changed ({h(c.direction)})</td><td>{h(c.after.party)}</td><td>{h(c.after.commitment)}</td>"
            f"<td>{link(c.after)}</td><td>{_badge(c.before.status)}</td><td>{_badge(c.after.status)}</td>"
            f"<td>{h(', '.join(c.changes))}</td></tr>"
        )
    for f in d.resolved:
        out.append(
            f"<tr><td>resolved</td><td>{h(f.party)}</td><td>{h(f.commitment)}</td><td>{h(subject_label(f))}</td>"
            f"<td>{_badge(f.status)}</td><td>—</td><td>no longer reported</td></tr>"
        )
    if not (d.new or d.changed or d.resolved):
        out.append('<tr><td colspan="7">No change since the baseline.</td></tr>')
    out.append("</tbody></table></section>")
    return out


def _matrix(ctx: ReportContext, grouped: dict[str, dict[str, list[Finding]]]) -> list[str]:
    cols = ctx.columns()
    rows = ctx.rows()
    out = [
        '<section id="matrix-section" aria-labelledby="matrix-h">',
        '<h2 id="matrix-h">Party × commitment matrix</h2>',
        "<p>Each cell shows the worst status of the party's "
        + ("new and changed " if ctx.delta is not None else "")
        + "findings under the commitment (breach &gt; gap &gt; compliant &gt; not applicable) "
        "and the number of findings; select a cell for the details.</p>",
        f'<div class="scroll"><table id="matrix" style="min-width:{84 + 56 * len(cols)}px">'
        f'<colgroup><col class="party"><col span="{max(len(cols), 1)}"></colgroup>'
        '<thead><tr><th scope="col">Party</th>',
    ]
    for c in cols:
        out.append(f'<th scope="col"><abbr title="{h(ctx.title_of(c))}">{h(c)}</abbr></th>')
    out.append("</tr></thead><tbody>")
    for p in rows:
        name = ctx.party_names.get(p, "")
        out.append(
            f'<tr><th scope="row"><a href="#{h(_anchor_party(p))}">{h(p)}</a>'
            + (f' <span class="pname">{h(name)}</span>' if name else "")
            + "</th>"
        )
        for c in cols:
            items = grouped.get(p, {}).get(c, [])
            w = worst(f.status for f in items)
            if w is None:
                out.append('<td class="none" title="no finding">·</td>')
                continue
            counts = cell_counts(items)
            tip = f"{p} × {c}: " + ", ".join(
                f"{counts[st]} {STATUS_WORD[st]}" for st in STATUSES if counts[st]
            )
            out.append(
                f'<td class="m-{w}" title="{h(tip)}"><a href="#{h(_anchor_cell(p, c))}">'
                f'<span class="w">{h(STATUS_WORD[w])}</span> <span class="c">({len(items)})</span></a></td>'
            )
        out.append("</tr>")
    if not rows:
        out.append(f'<tr><td colspan="{len(cols) + 1}">No findings.</td></tr>')
    out.append('</tbody></table></div><p class="legend">Legend: ')
    for st in STATUSES:
        out.append(f'<span><span class="badge b-{st}">{h(STATUS_WORD[st])}</span></span>')
    out.append("<span>· no finding</span></p></section>")
    return out


def _finding(ctx: ReportContext, f: Finding, anchor: str) -> list[str]:
    ex = f.explanation
    out = [
        f'<article class="finding st-{h(f.status)}" id="{h(anchor)}">',
        f'<div>{_badge(f.status)}<span class="subject">{h(subject_label(f))}</span>',
    ]
    if f.flags:
        out.append(f'<span class="flags">flags: {h(", ".join(f.flags))}</span>')
    change = ctx.change_of(f)
    if change:
        out.append(f'<span class="change">{h(change)} since the baseline</span>')
    out.append("</div>")
    out.append(f'<p class="summary">{h(ex.summary)}</p>')
    if ex.values:
        out.append('<dl class="values">')
        for k, v in ex.values.items():
            out.append(f"<dt>{h(k)}</dt><dd>{h(v)}</dd>")
        out.append("</dl>")
    if ex.counterfactual:
        out.append(f'<p class="cf"><strong>Counterfactual:</strong> {h(ex.counterfactual)}</p>')
    if f.evidence:
        out.append(
            '<table class="data evidence"><thead><tr><th>Record</th><th>Kind</th><th>Report</th>'
            "<th>Source</th><th>Signed by</th><th>Report file</th><th>sha256</th></tr></thead>"
            "<tbody>"
        )
        for e in f.evidence:
            out.append(
                f"<tr><td>{h(e.record)}</td><td>{h(e.kind)}</td><td>{h(e.report)}</td><td>{h(e.source)}</td>"
                f"<td>{_signer_cell(e)}</td>"
                f'<td class="mono">{h(ctx.report_paths.get(e.report, ""))}</td>'
                f'<td class="mono" title="{h(e.sha256)}">{h(e.sha256[:12])}…</td></tr>'
            )
        out.append("</tbody></table>")
    else:
        out.append("<p><em>Evidence: no record on file for this finding.</em></p>")
    rule = f" ({h(ex.rule)})" if ex.rule else ""
    out.append(
        f'<blockquote class="clause"><strong>Clause{rule}:</strong> {h(ex.clause)}</blockquote>'
    )
    out.append("</article>")
    return out


def _parties(
    ctx: ReportContext, grouped: dict[str, dict[str, list[Finding]]], anchors: dict[str, str]
) -> list[str]:
    out: list[str] = []
    for p, by_c in grouped.items():
        all_items = [f for items in by_c.values() for f in items]
        counts = cell_counts(all_items)
        name = ctx.party_names.get(p, "")
        out.append(f'<section class="party" id="{h(_anchor_party(p))}">')
        out.append(
            f"<h2>{h(p)}" + (f' <span class="pname">{h(name)}</span>' if name else "") + "</h2>"
        )
        out.append(
            "<p>" + " · ".join(f"{counts[st]} {h(STATUS_WORD[st])}" for st in STATUSES) + "</p>"
        )
        for cid, items in by_c.items():
            info = ctx.commitments.get(cid)
            out.append(f'<div class="commitment" id="{h(_anchor_cell(p, cid))}">')
            title = f" {h(info.title)}" if info else ""
            sev = f'<span class="sev">severity: {h(info.severity)}</span>' if info else ""
            out.append(f"<h3>{h(cid)}{title}{sev}</h3>")
            if info:
                out.append(
                    f"<details><summary>Full text of {h(cid)}</summary><blockquote>{h(info.text)}</blockquote></details>"
                )
            for f in items:
                out.extend(_finding(ctx, f, anchors[f.fingerprint()]))
            out.append("</div>")
        out.append("</section>")
    return out


def _footer(ctx: ReportContext) -> list[str]:
    doc = ctx.doc
    out = [
        '<footer><section id="provenance" aria-labelledby="prov-h">',
        '<h2 id="prov-h">Provenance</h2>',
        '<dl class="meta">',
        f"<dt>As of</dt><dd>{h(doc.as_of.isoformat())}</dd>",
        f"<dt>Engine version</dt><dd>treaty-engine {h(doc.engine_version)}</dd>",
        f'<dt>Run id</dt><dd class="mono">{h(doc.run_id)}</dd>',
        f"<dt>Treaty</dt><dd>{h(doc.treaty or '')}</dd>",
    ]
    if doc.filters:
        out.append(
            "<dt>Filters</dt><dd>"
            + h("; ".join(f"{k} = {', '.join(v)}" for k, v in doc.filters.items()))
            + "</dd>"
        )
    if ctx.delta is not None:
        b = ctx.delta.baseline
        out.append(
            f'<dt>Baseline</dt><dd><span class="mono">{h(b.path)}</span> (sha256 '
            f'<span class="mono">{h(b.sha256)}</span>, run <span class="mono">{h(b.run_id)}</span>)</dd>'
        )
    out.append("</dl>")
    out.append(
        '<table class="data" id="inputs"><thead><tr><th>Input</th><th>Document</th><th>sha256</th></tr></thead><tbody>'
    )
    for i in doc.inputs:
        out.append(
            f'<tr><td class="mono">{h(i.path)}</td><td>{h(i.document)}</td><td class="mono">{h(i.sha256)}</td></tr>'
        )
    out.append("</tbody></table>")
    out.append(
        "<p>Check this report against its inputs with <code>treaty verify</code> on the JSON of the same run.</p>"
    )
    out.append("</section></footer>")
    return out


def _page_head(ctx: ReportContext) -> list[str]:
    """From the doctype to the opening of ``<main>``: metadata, style and the page header."""
    doc = ctx.doc
    title = f"Compliance report — {ctx.treaty_title or doc.treaty or 'treaty'} — as of {doc.as_of.isoformat()}"
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'\">",
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="treaty-engine {h(doc.engine_version)}">',
        f"<title>{h(title)}</title>",
        f"<style>{_css()}</style>",
        "</head>",
        "<body>",
        '<header class="top">',
        f"<h1>Compliance report: {h(ctx.treaty_title or doc.treaty or 'treaty')}</h1>",
        f"<p>As of {h(doc.as_of.isoformat())} · treaty-engine {h(doc.engine_version)} · run "
        f'<span class="mono">{h(doc.run_id)}</span></p>',
        "</header>",
        "<main>",
    ]


def render_report(ctx: ReportContext) -> str:
    """The self-contained HTML report."""
    grouped = ctx.grouped()
    anchors: dict[str, str] = {}
    for items in (i for by_c in grouped.values() for i in by_c.values()):
        for f in items:
            anchors[f.fingerprint()] = f"f-{len(anchors) + 1}"
    out = _page_head(ctx)
    out.extend(_summary(ctx))
    if ctx.delta is not None:
        out.extend(_delta(ctx, anchors))
    out.extend(_matrix(ctx, grouped))
    if ctx.trend:
        out.extend(_trend(ctx.trend))
    out.append('<div id="findings">')
    out.extend(_parties(ctx, grouped, anchors))
    if not grouped:
        out.append("<section><p>No findings to show.</p></section>")
    out.append("</div>")
    out.append("</main>")
    out.extend(_footer(ctx))
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"
