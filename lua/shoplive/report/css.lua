--- The report's Content-Security-Policy (no external load of any kind, no
-- script) and its one inline style sheet. Version-neutral.
local M = {}

M.CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
M.CSS = [[
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:#1d232b;background:#f6f7f9}
main,header.top,nav.toc,footer{max-width:1040px;margin:0 auto;padding:0 16px}
header.top{padding-top:20px}
h1{font-size:1.6em;margin:.2em 0 .4em;overflow-wrap:anywhere}
h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:2px solid #d9dde3;padding-bottom:.2em}
h3{font-size:1.05em;margin:1em 0 .3em;overflow-wrap:anywhere}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.5em 0}
dl.facts dt{color:#5a6470}dl.facts dd{margin:0;overflow-wrap:anywhere}
.note,.formula{color:#4a5561;font-size:.9em}
.formula{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
font-size:.82em;background:#eef1f4;padding:.4em .6em;border-radius:4px}
.cards{display:grid;grid-template-columns:1fr;gap:12px}
.card dl.facts{grid-template-columns:max-content minmax(0,1fr) max-content minmax(0,2fr)}
.card table{width:100%}.card,figure,section{min-width:0;max-width:100%}
.card{background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:10px 12px;break-inside:avoid}
.card h3{margin-top:0}
figure{margin:12px 0;background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:10px;break-inside:avoid}
figcaption{font-weight:600;margin-bottom:4px}
.scroll{overflow-x:auto}
svg.chart{display:block;width:100%;max-width:522px;height:auto;margin:0 auto;font-size:12px}
svg.chart text{fill:#1d232b}
svg.chart .tick{font-size:12px;fill:#4a5561}
svg.chart .axis-title{font-size:12px;font-weight:600}
svg.chart .legend{font-size:12px}
svg.chart .count{font-size:12px;font-weight:600}svg.chart .on-heat{fill:#fff}
svg.chart .axis{stroke:#4a5561;stroke-width:1}
svg.chart .grid{stroke:#e3e6ea;stroke-width:1}svg.chart .cut{stroke:#fff;stroke-width:2}
svg.chart .median{stroke:#b2182b;stroke-width:2;stroke-dasharray:5 3}
svg.chart .partial{stroke:#1d232b;stroke-width:1.5;stroke-dasharray:4 2}
table{border-collapse:collapse;font-size:.88em;margin:.3em 0;background:#fff}
caption{text-align:left;caption-side:top}
th,td{border-bottom:1px solid #e3e6ea;padding:3px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.t{max-width:28em;min-width:10em;overflow-wrap:anywhere}td.d{white-space:nowrap}
nav.toc ol{display:flex;flex-wrap:wrap;gap:.2em 1.2em;margin:.6em 0;padding:0;list-style:none}
nav.toc a{color:#1f5a99}
details{margin-top:6px}summary{cursor:pointer;color:#2a5d9f}
.empty{color:#6b7580;font-style:italic}
footer{color:#5a6470;font-size:.85em;padding:20px 16px 40px}
@media (max-width:600px){body{font-size:14px}main,header.top,nav.toc,footer{padding:0 10px}
.card dl.facts{grid-template-columns:max-content minmax(0,1fr)}}
@media (max-width:700px){table.r{width:100%}}
@media (max-width:700px){.r thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.r,.r tbody,.r tr,.r td,.r caption{display:block}.r tr{border-bottom:2px solid #d9dde3;padding:4px 0}
.r td{display:grid;grid-template-columns:minmax(7em,40%) minmax(0,1fr);gap:0 8px;border:0;padding:1px 4px;
text-align:left;white-space:normal;min-width:0;max-width:none;overflow-wrap:anywhere}
.r td::before{content:attr(data-label);color:#4a5561}}
@media (min-width:701px) and (max-width:1000px){.wide thead{position:absolute;width:1px;height:1px;overflow:hidden;
clip:rect(0 0 0 0)}.wide,.wide tbody,.wide tr,.wide td,.wide caption{display:block}.wide tr{border-bottom:2px solid #d9dde3;
padding:4px 0}.wide td{display:grid;grid-template-columns:minmax(7em,30%) minmax(0,1fr);gap:0 8px;border:0;
padding:1px 4px;text-align:left;white-space:normal;min-width:0;max-width:none;overflow-wrap:anywhere}
.wide td::before{content:attr(data-label);color:#4a5561}}
@page{size:A4;margin:12mm}
@media print{body{background:#fff;font-size:10pt}main,header.top,footer{max-width:none;padding:0}
figure,.card{border-color:#bbb;break-inside:avoid}svg.chart{min-width:0;max-height:120mm}.scroll{overflow:visible}
h2{break-after:avoid}details{display:none}}
]]

return M
