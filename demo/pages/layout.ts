/** The frame every demo page shares: head, navigation, language switch, flashes. */
import { type Lang, translator } from "../i18n.ts";

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** What every page knows about the request it answers. */
export interface PageContext {
  readonly lang: Lang;
  /** The path (and query) of this page, where the language switch comes back to. */
  readonly path: string;
  readonly flashes?: readonly string[];
}

/** The tab icon, at /favicon.ico: a small tile, drawn inline (the demo loads nothing external). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f4e79"/><rect x="6" y="6" width="9" height="9" rx="1.5" fill="#f2c14e"/><rect x="17" y="6" width="9" height="9" rx="1.5" fill="#fff"/><rect x="6" y="17" width="9" height="9" rx="1.5" fill="#fff"/><rect x="17" y="17" width="9" height="9" rx="1.5" fill="#f2c14e"/></svg>`;

/** Readable on a phone and a desktop, with no external assets (the demo may run offline). */
const STYLE = `*{box-sizing:border-box}
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI","Noto Sans","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
header{background:#1f4e79;color:#fff}
header .bar{max-width:60rem;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}
header a{color:#fff;text-decoration:none}header a:hover,header a[aria-current]{text-decoration:underline}
header .brand{font-weight:700;margin-right:auto}
header .lang{font-size:.9rem;opacity:.9}
main{max-width:60rem;margin:0 auto;padding:1rem;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
a{color:#1f4e79}
section.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:1rem;margin:1rem 0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}
.grid>*{min-width:0}
form{margin:.75rem 0}label{display:block;margin:.5rem 0}
label.inline{display:inline-flex;gap:.35rem;align-items:center;margin-right:1rem}
input[type=text],input[type=password],input[type=number],input[type=datetime-local],input:not([type]),select,textarea{font:inherit;padding:.4rem;width:100%;max-width:24rem;display:block;border:1px solid #b8bec6;border-radius:4px;background:#fff}
button{font:inherit;white-space:nowrap;padding:.4rem 1rem;cursor:pointer;border-radius:4px;border:1px solid #1f4e79;background:#1f4e79;color:#fff}
button.secondary{background:#fff;color:#1f4e79}button.danger{background:#b3261e;border-color:#b3261e}
pre,code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Noto Sans Mono",monospace;font-size:.85rem}
pre{background:#0f1720;color:#e6edf3;padding:.75rem;border-radius:6px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:.5rem 0}
code{background:#eef1f4;padding:0 .2rem;border-radius:3px;overflow-wrap:anywhere}pre code{background:none;padding:0}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top;overflow-wrap:break-word}
th{background:#f0f2f5;font-weight:600;word-break:normal}
section.card>h2:first-child{margin-top:0}
@media (max-width:40rem){table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack thead{display:none}table.stack tr{border-bottom:2px solid #c9d3de;padding:.35rem 0}
table.stack td{border:none;padding:.15rem 0}table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#3d4650}}
.flash{background:#e8f4e8;border-left:4px solid #3a7d44;padding:.5rem .75rem;margin:.5rem 0}
.error{background:#fdecea;border-left:4px solid #b3261e;padding:.5rem .75rem;margin:.5rem 0}
.explain{color:#3d4650;font-size:.92rem;border-left:3px solid #c9d3de;padding-left:.6rem;margin:.5rem 0}
.note{color:#555;font-size:.9rem}.hello{font-size:1.2rem;font-weight:600}
.ok{color:#1e6b2e;font-weight:600}.bad{color:#b3261e;font-weight:600}
.part-id{color:#f2c14e}.part-sig{color:#7fd1b9}.part-ts{color:#c39bd3}.part-head{color:#9ecbff}
.countdown{font-variant-numeric:tabular-nums;font-weight:600}
.steps{counter-reset:step;padding-left:0;list-style:none}.steps>li{counter-increment:step}
.steps>li>section>h2:first-child::before{content:counter(step) ". ";color:#1f4e79}`;

/** Counts down every `[data-expires]` element (ms since the epoch) once a second, on the page. */
const COUNTDOWN_SCRIPT = `<script>
(function(){var els=document.querySelectorAll("[data-expires]");if(!els.length)return;
function tick(){var now=Date.now();els.forEach(function(el){var left=Math.max(0,Math.round((Number(el.dataset.expires)-now)/1000));
var d=Math.floor(left/86400),h=Math.floor(left%86400/3600),m=Math.floor(left%3600/60),s=left%60;
el.textContent=(d?d+"d ":"")+(d||h?h+"h ":"")+(d||h||m?m+"m ":"")+s+"s";if(left===0&&el.dataset.gone)el.textContent=el.dataset.gone;});}
tick();setInterval(tick,1000);})();
</script>`;

/** The pages in the navigation, in the walkthrough's order. */
const NAV: ReadonlyArray<readonly [path: string, english: string, chinese: string]> = [
  ["/guide", "Guide", "教程"],
  ["/cookies", "Cookie lab", "Cookie 实验室"],
  ["/inspect", "Inspect", "检查会话"],
  ["/sessions", "Your sessions", "你的会话"],
];

export function layout(page: PageContext, title: string, body: string): string {
  const t = translator(page.lang);
  const current = page.path.split("?")[0];
  const links = NAV.map(
    ([path, english, chinese]) =>
      `<a href="${path}"${path === current ? ' aria-current="page"' : ""}>${t(english, chinese)}</a>`,
  ).join("");
  const back = encodeURIComponent(page.path);
  const other = page.lang === "zh" ? "en" : "zh";
  const messages = (page.flashes ?? [])
    .map((message) => `<p class="flash" role="status">${escapeHtml(message)}</p>`)
    .join("");
  return `<!doctype html>
<html lang="${page.lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<style>${STYLE}</style>
<title>${escapeHtml(title)} · tessera demo</title></head>
<body>
<header><nav class="bar"><a class="brand" href="/">tessera ${t("demo", "演示")}</a>${links}<a class="lang" href="/lang?to=${other}&amp;back=${back}" lang="${other === "zh" ? "zh-CN" : "en"}" hreflang="${other}">${other === "zh" ? "中文" : "English"}</a></nav></header>
<main>
${messages}
${body}
</main>
${body.includes("data-expires") ? COUNTDOWN_SCRIPT : ""}
</body></html>
`;
}

/** An error page for the browser; /api/ routes answer JSON instead. */
export function errorPage(
  page: PageContext,
  status: number,
  title: string,
  message: string,
): string {
  const t = translator(page.lang);
  return layout(
    page,
    `${status} ${title}`,
    `<h1>${status} ${escapeHtml(title)}</h1>
<p class="error">${escapeHtml(message)}</p>
<p><a href="/">${t("Back to the home page", "返回首页")}</a></p>`,
  );
}
