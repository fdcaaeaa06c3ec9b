/**
 * Draws a results file of `npm run bench` as an SVG chart: the ratio of each contender to the
 * floor it is measured against, with the peers beside tessera's contenders, one panel per floor.
 *
 *   node bench/chart.ts bench/results/2026-12-04.json            writes bench/results/2026-12-04.svg
 *   node bench/chart.ts bench/results/2026-12-04.json --out FILE
 *
 * `chartSvg` is pure (the same results give the same bytes) and builds the SVG as a string, no
 * dependencies. Fields of the results file it does not know are ignored.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

/** What the chart reads of a results file (bench/run.ts writes it; bench/report.ts has the types). */
export interface ResultsFile {
  readonly finishedAt: string;
  readonly machine: ChartMachine;
  readonly settings?: unknown;
  readonly results: readonly ChartResult[];
}

export interface ChartMachine {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly os?: string;
  readonly node?: string;
}

export interface ChartResult {
  readonly name: string;
  /** "floor", "read" or "write". */
  readonly kind: string;
  /** A peer (another library) says so first: "peer: Express 5 + express-session …". */
  readonly description: string;
  /** null in JSON when it was NaN (no windows). */
  readonly medianRequestsPerSecond: number | null;
  readonly ratios: readonly ChartRatio[];
  readonly targets?: readonly ChartTarget[];
  readonly flagged?: boolean;
}

export interface ChartRatio {
  readonly baseline: string;
  readonly role: string;
  /** null in JSON when the division gave NaN or Infinity. */
  readonly ofMedians: number | null;
  readonly roundMin: number | null;
  readonly roundMax: number | null;
}

export interface ChartTarget {
  readonly baseline: string;
  readonly atLeast: number;
  readonly measured?: number | null | undefined;
  readonly met?: boolean | null | undefined;
}

const FOOTER = "ratios of medians of interleaved rounds; whiskers: single-round range";
const GENERIC_FLOOR = "floor-bare";

const WIDTH = 900;
const MARGIN = 24;
const FONT = 'font-family="sans-serif"';
const TESSERA_COLOUR = "#2f6db5";
const PEER_COLOUR = "#a3a3a3";
const MET_COLOUR = "#1e8a3e";
const MISSED_COLOUR = "#c62828";
const INK = "#1a1a1a";
const MUTED = "#5f5f5f";
const GRID = "#e6e6e6";

const BAR_ROW = 22;
const BAR_HEIGHT = 12;
const TARGET_ROW = 14;
const PANEL_GAP = 20;
const AXIS_HEIGHT = 18;

/** One bar: a contender's ratio to the panel's floor. */
interface Bar {
  readonly result: ChartResult;
  readonly peer: boolean;
  readonly ratio: ChartRatio;
  readonly targets: readonly PlacedTarget[];
}

/** A target of the bar's contender, placed on the panel's scale. */
interface PlacedTarget {
  readonly target: ChartTarget;
  /** Where the bar has to reach, as a ratio to the panel's floor. */
  readonly at: number;
  readonly met: boolean | undefined;
  readonly label: string;
}

interface Panel {
  readonly floor: string;
  readonly description: string | undefined;
  readonly bars: readonly Bar[];
}

export function isPeer(result: ChartResult): boolean {
  // "peer: …", and also "peer without Express: …" (express-session called from node:http).
  return /^peer\b/.test(result.description);
}

/**
 * The floors a contender's bars go under: each floor it is measured against other than
 * floor-bare, or floor-bare when it has no specific one.
 */
export function floorsOf(result: ChartResult): string[] {
  const floors = result.ratios.filter((ratio) => ratio.role === "floor");
  const specific = floors.filter((ratio) => ratio.baseline !== GENERIC_FLOOR);
  const chosen = specific.length > 0 ? specific : floors;
  return [...new Set(chosen.map((ratio) => ratio.baseline))];
}

export function chartSvg(results: ResultsFile): string {
  const byName = new Map(results.results.map((result) => [result.name, result]));
  const contenders = results.results.filter((result) => result.kind !== "floor");
  const panels = buildPanels(results.results, contenders, byName);

  const drawn = new Set(panels.flatMap((panel) => panel.bars.map((bar) => bar.result.name)));
  const notDrawn = contenders.filter((result) => !drawn.has(result.name));
  const placed = new Set(
    panels.flatMap((panel) => panel.bars.flatMap((bar) => bar.targets.map((t) => t.target))),
  );
  const unplacedTargets = contenders.flatMap((result) =>
    drawn.has(result.name)
      ? (result.targets ?? [])
          .filter((target) => !placed.has(target))
          .map((target) => `${result.name} vs ${target.baseline} ≥ ${num(target.atLeast)}`)
      : [],
  );

  const scaleMax = niceMax(
    Math.max(
      1.2,
      ...panels.flatMap((panel) =>
        panel.bars.flatMap((bar) => [
          finite(bar.ratio.ofMedians) ?? 0,
          finite(bar.ratio.roundMax) ?? 0,
          ...bar.targets.map((target) => target.at),
        ]),
      ),
    ),
  );
  const longestName = Math.max(
    10,
    ...panels.flatMap((panel) => panel.bars.map((bar) => labelFor(bar).length)),
  );
  const labelWidth = Math.min(290, Math.ceil(longestName * 6.4) + 12);
  const plotLeft = MARGIN + labelWidth;
  const plotRight = WIDTH - MARGIN - 44;
  const x = (ratio: number): number =>
    plotLeft + (Math.max(0, ratio) / scaleMax) * (plotRight - plotLeft);

  const out: string[] = [];
  let y = MARGIN;

  // Heading: what, when, where.
  const heading = "tessera benchmark: ratio to each floor, with the peers beside them";
  out.push(
    text(MARGIN, y + 16, heading, { size: 18, weight: "bold" }),
    text(MARGIN, y + 36, subtitle(results), { size: 12, fill: MUTED }),
  );
  y += 50;
  out.push(legend(MARGIN, y));
  y += 24;

  if (panels.length === 0) {
    y += 10;
    out.push(text(MARGIN, y + 14, "No contender was measured against a floor in this run.", {}));
    y += 30;
  }

  for (const panel of panels) {
    const titleLines = panelTitle(panel);
    titleLines.forEach((line, index) => {
      out.push(line(MARGIN, y + 14 + index * 15));
    });
    y += 18 + titleLines.length * 15;

    const plotTop = y;
    const rowsHeight = panel.bars.reduce(
      (total, bar) => total + BAR_ROW + bar.targets.length * TARGET_ROW,
      0,
    );
    const plotBottom = plotTop + rowsHeight + 4;

    // Grid and axis first, so the bars draw over them.
    for (const tick of ticks(scaleMax)) {
      const tickX = fixed(x(tick));
      out.push(
        `<line x1="${tickX}" y1="${fixed(plotTop)}" x2="${tickX}" y2="${fixed(plotBottom)}" stroke="${GRID}" stroke-width="1"/>`,
        text(x(tick), plotBottom + 13, num(tick), { size: 10, fill: MUTED, anchor: "middle" }),
      );
    }
    out.push(
      `<line x1="${fixed(plotLeft)}" y1="${fixed(plotBottom)}" x2="${fixed(plotRight)}" y2="${fixed(plotBottom)}" stroke="#b0b0b0" stroke-width="1"/>`,
    );

    // The floor line under the bars: 1.0 is the floor's own throughput.
    const floorX = fixed(x(1));
    out.push(
      `<line x1="${floorX}" y1="${fixed(plotTop - 1)}" x2="${floorX}" y2="${fixed(plotBottom)}" stroke="${INK}" stroke-width="1.5"/>`,
      text(x(1), plotTop - 5, "floor", { size: 10, fill: INK, style: "italic", anchor: "middle" }),
    );

    let rowTop = plotTop + 2;
    for (const bar of panel.bars) {
      out.push(drawBar(bar, rowTop, plotLeft, x));
      rowTop += BAR_ROW + bar.targets.length * TARGET_ROW;
    }

    y = plotBottom + AXIS_HEIGHT + PANEL_GAP;
  }

  // Footer: how the figures were made, and what could not be drawn.
  const notes = [
    `${runCommand(results.settings)}; ${FOOTER}`,
    ...(notDrawn.length > 0
      ? [`Not drawn (no floor measured): ${notDrawn.map((result) => result.name).join(", ")}`]
      : []),
    ...(unplacedTargets.length > 0
      ? [`Targets not drawn (baseline not measured): ${unplacedTargets.join("; ")}`]
      : []),
  ].flatMap((note) => wrap(note, 140));
  for (const note of notes) {
    out.push(text(MARGIN, y + 2, note, { size: 11, fill: MUTED }));
    y += 15;
  }
  const height = Math.ceil(y + MARGIN - 10);

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" ${FONT}>`,
    `<title>${escapeXml(`${heading} (${results.finishedAt})`)}</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...out,
    "</svg>",
    "",
  ].join("\n");
}

function buildPanels(
  all: readonly ChartResult[],
  contenders: readonly ChartResult[],
  byName: ReadonlyMap<string, ChartResult>,
): Panel[] {
  const barsByFloor = new Map<string, Bar[]>();
  for (const result of contenders) {
    for (const floor of floorsOf(result)) {
      const ratio = result.ratios.find((r) => r.role === "floor" && r.baseline === floor);
      if (ratio === undefined) continue;
      const bars = barsByFloor.get(floor) ?? [];
      bars.push({
        result,
        peer: isPeer(result),
        ratio,
        targets: placeTargets(result, floor, byName),
      });
      barsByFloor.set(floor, bars);
    }
  }
  // Panels in the order the floors ran in; a floor missing from the results goes last.
  const order = [
    ...all.filter((result) => barsByFloor.has(result.name)).map((result) => result.name),
    ...[...barsByFloor.keys()].filter((floor) => !byName.has(floor)),
  ];
  return [...new Set(order)].map((floor) => ({
    floor,
    description: byName.get(floor)?.description,
    // Tessera's first, then the peers; otherwise as in the results (a stable sort).
    bars: [...(barsByFloor.get(floor) ?? [])].sort((a, b) => Number(a.peer) - Number(b.peer)),
  }));
}

/**
 * A target against the panel's floor sits at its `atLeast`. One against another baseline B
 * (a peer, or floor-bare) sits where this bar would meet it: atLeast × median(B) ÷ median(floor),
 * as the bar is median(contender) ÷ median(floor). Without both medians it is not placed.
 */
function placeTargets(
  result: ChartResult,
  floor: string,
  byName: ReadonlyMap<string, ChartResult>,
): PlacedTarget[] {
  return (result.targets ?? []).flatMap((target): PlacedTarget[] => {
    const met = typeof target.met === "boolean" ? target.met : undefined;
    if (target.baseline === floor) {
      return [{ target, at: target.atLeast, met, label: `target ≥ ${num(target.atLeast)}` }];
    }
    const baseline = finite(byName.get(target.baseline)?.medianRequestsPerSecond);
    const floorMedian = finite(byName.get(floor)?.medianRequestsPerSecond);
    if (baseline === undefined || floorMedian === undefined || floorMedian <= 0) return [];
    const floorBaseline = byName.get(target.baseline)?.kind === "floor";
    const label = floorBaseline
      ? `target ÷ ${target.baseline} ≥ ${num(target.atLeast)}`
      : `target vs ${target.baseline} ≥ ${num(target.atLeast)}×`;
    return [{ target, at: (target.atLeast * baseline) / floorMedian, met, label }];
  });
}

function drawBar(bar: Bar, rowTop: number, plotLeft: number, x: (ratio: number) => number): string {
  const { result, ratio } = bar;
  const parts: string[] = [];
  const centre = rowTop + BAR_ROW / 2;
  const value = finite(ratio.ofMedians);
  const low = finite(ratio.roundMin);
  const high = finite(ratio.roundMax);
  const colour = bar.peer ? PEER_COLOUR : TESSERA_COLOUR;

  const median = finite(result.medianRequestsPerSecond);
  const tooltip = [
    `${result.name} ÷ ${ratio.baseline}: ${value === undefined ? "n/a" : value.toFixed(3)}`,
    low !== undefined && high !== undefined ? `rounds ${low.toFixed(3)}–${high.toFixed(3)}` : "",
    median === undefined ? "" : `median ${Math.round(median)} req/s`,
    result.flagged === true ? "failed responses in measured windows" : "",
    result.description,
  ]
    .filter((line) => line !== "")
    .join("\n");

  parts.push(
    `<g class="${bar.peer ? "bar peer" : "bar tessera"}" data-contender="${escapeXml(result.name)}" data-floor="${escapeXml(ratio.baseline)}">`,
    `<title>${escapeXml(tooltip)}</title>`,
    text(plotLeft - 8, centre + 4, labelFor(bar), {
      size: 12,
      fill: result.flagged === true ? MISSED_COLOUR : bar.peer ? MUTED : INK,
      anchor: "end",
    }),
  );
  if (value !== undefined) {
    parts.push(
      `<rect x="${fixed(plotLeft)}" y="${fixed(centre - BAR_HEIGHT / 2)}" width="${fixed(x(value) - plotLeft)}" height="${BAR_HEIGHT}" fill="${colour}"${result.flagged === true ? ' fill-opacity="0.5"' : ""}/>`,
    );
  }
  if (low !== undefined && high !== undefined) {
    const [x1, x2] = [fixed(x(low)), fixed(x(high))];
    const [top, bottom] = [fixed(centre - 4), fixed(centre + 4)];
    parts.push(
      `<path class="whisker" d="M${x1} ${fixed(centre)}H${x2}M${x1} ${top}V${bottom}M${x2} ${top}V${bottom}" stroke="${INK}" stroke-width="1" fill="none"/>`,
    );
  }
  // The value after the bar and its whisker, and past any target marker it would cover.
  let valueX = x(Math.max(value ?? 0, high ?? 0)) + 5;
  for (const markX of bar.targets.map((placed) => x(placed.at)).sort((a, b) => a - b)) {
    if (markX > valueX - 6 && markX < valueX + 30) valueX = markX + 7;
  }
  parts.push(
    text(valueX, centre + 4, value === undefined ? "n/a" : value.toFixed(2), {
      size: 11,
      fill: INK,
      className: "value",
      halo: true,
    }),
  );

  bar.targets.forEach((placed, index) => {
    const markX = x(placed.at);
    const colour = placed.met === false ? MISSED_COLOUR : placed.met === true ? MET_COLOUR : MUTED;
    const state = placed.met === true ? "met" : placed.met === false ? "not met" : "not measured";
    const mark = placed.met === true ? "✓" : placed.met === false ? "✗" : "?";
    const detail = `${placed.label}: ${state}${measuredText(placed.target)}`;
    const lineY = rowTop + BAR_ROW + index * TARGET_ROW + 9;
    const markTop = centre - BAR_HEIGHT / 2 - 3;
    parts.push(
      `<g class="target ${placed.met === true ? "met" : placed.met === false ? "missed" : "unknown"}">`,
      `<title>${escapeXml(detail)}</title>`,
      // A tick across the bar, a small triangle above it, and a dotted lead to its label.
      `<line x1="${fixed(markX)}" y1="${fixed(markTop)}" x2="${fixed(markX)}" y2="${fixed(centre + BAR_HEIGHT / 2 + 2)}" stroke="${colour}" stroke-width="2.5"/>`,
      `<path d="M${fixed(markX - 4)} ${fixed(markTop - 4)}H${fixed(markX + 4)}L${fixed(markX)} ${fixed(markTop + 1)}Z" fill="${colour}"/>`,
      `<line x1="${fixed(markX)}" y1="${fixed(centre + BAR_HEIGHT / 2 + 2)}" x2="${fixed(markX)}" y2="${fixed(lineY - 8)}" stroke="${colour}" stroke-width="1" stroke-dasharray="2 2"/>`,
      // To the right of the marker, unless it would run off the chart (10 px text ≈ 5.6 px a character).
      markX + 4 + (detail.length + 2) * 5.6 > WIDTH - 6
        ? text(markX - 4, lineY, `${detail} ${mark}`, {
            size: 10,
            fill: colour,
            anchor: "end",
            halo: true,
          })
        : text(markX + 4, lineY, `${mark} ${detail}`, { size: 10, fill: colour, halo: true }),
      "</g>",
    );
  });
  parts.push("</g>");
  return parts.join("\n");
}

/** " (2.61)"; three decimals when two would round a missed goal up to it (2.497 of 2.5). */
function measuredText(target: ChartTarget): string {
  const measured = finite(target.measured);
  if (measured === undefined) return "";
  const short = measured.toFixed(2);
  const shown =
    measured < target.atLeast && Number(short) >= target.atLeast ? measured.toFixed(3) : short;
  return ` (${shown})`;
}

function labelFor(bar: Bar): string {
  return `${bar.result.flagged === true ? "⚠ " : ""}${truncate(bar.result.name, 44)}`;
}

/** "÷ floor-redis-write (bare node:http + …)", wrapped onto more lines when it is long. */
function panelTitle(panel: Panel): ((x: number, y: number) => string)[] {
  const name = `÷ ${panel.floor}`;
  const description = panel.description === undefined ? "" : ` (${panel.description})`;
  const budget = 118; // characters of 13 px text in the chart's width
  const lines = wrap(`${name}${description}`, budget);
  return lines.map((line, index) => (x: number, y: number): string => {
    if (index > 0) return text(x + 14, y, line, { size: 12, fill: MUTED });
    const rest = line.slice(name.length);
    return `<text x="${fixed(x)}" y="${fixed(y)}" font-size="13" fill="${INK}"><tspan font-weight="bold">${escapeXml(name)}</tspan><tspan fill="${MUTED}">${escapeXml(rest)}</tspan></text>`;
  });
}

function legend(x0: number, y0: number): string {
  const parts: string[] = [];
  let x = x0;
  const swatch = (colour: string, label: string): void => {
    parts.push(
      `<rect x="${fixed(x)}" y="${fixed(y0 + 2)}" width="14" height="10" fill="${colour}"/>`,
      text(x + 19, y0 + 11, label, { size: 11, fill: INK }),
    );
    x += 26 + label.length * 6;
  };
  swatch(TESSERA_COLOUR, "tessera");
  swatch(PEER_COLOUR, "peer (another library)");
  parts.push(
    `<path d="M${fixed(x)} ${y0 + 7}H${fixed(x + 22)}M${fixed(x)} ${y0 + 3}V${y0 + 11}M${fixed(x + 22)} ${y0 + 3}V${y0 + 11}" stroke="${INK}" stroke-width="1" fill="none"/>`,
    text(x + 27, y0 + 11, "single-round range", { size: 11, fill: INK }),
  );
  x += 27 + 18 * 6 + 14;
  for (const [colour, label] of [
    [MET_COLOUR, "target met"],
    [MISSED_COLOUR, "target not met"],
  ] as const) {
    parts.push(
      `<line x1="${fixed(x + 4)}" y1="${y0 + 3}" x2="${fixed(x + 4)}" y2="${y0 + 13}" stroke="${colour}" stroke-width="2.5"/>`,
      `<path d="M${fixed(x)} ${y0 - 1}H${fixed(x + 8)}L${fixed(x + 4)} ${y0 + 4}Z" fill="${colour}"/>`,
      text(x + 12, y0 + 11, label, { size: 11, fill: INK }),
    );
    x += 24 + label.length * 6;
  }
  parts.push(text(x, y0 + 11, "bar = contender median ÷ floor median", { size: 11, fill: MUTED }));
  return parts.join("\n");
}

function subtitle(results: ResultsFile): string {
  const { machine } = results;
  const settings = record(results.settings);
  const rounds = finite(settings.rounds as number | undefined);
  const seconds = finite(settings.durationSeconds as number | undefined);
  const connections = finite(settings.connections as number | undefined);
  return [
    formatDate(results.finishedAt),
    `${machine.cpuModel} × ${machine.cpuCount}`,
    machine.os,
    machine.node === undefined ? undefined : `Node ${machine.node}`,
    rounds !== undefined && seconds !== undefined ? `${rounds} rounds × ${seconds} s` : undefined,
    connections === undefined ? undefined : `${connections} connections`,
  ]
    .filter((part): part is string => typeof part === "string" && part !== "")
    .join(" · ");
}

function runCommand(settingsValue: unknown): string {
  const settings = record(settingsValue);
  const only = Array.isArray(settings.only)
    ? settings.only.filter((name): name is string => typeof name === "string")
    : [];
  const command = settings.quick === true ? "npm run bench -- --quick" : "npm run bench";
  if (only.length > 0) return `BENCH_ONLY=${only.join(",")} ${command} (those contenders only)`;
  return settings.quick === true ? `${command} (quick run)` : `${command} (full run)`;
}

/** "2026-12-04 10:11 UTC" from an ISO time; anything else as it is. */
function formatDate(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::[\d.]+)?Z$/.exec(value);
  return match === null ? value : `${match[1]} ${match[2]} UTC`;
}

/** 0, 0.25, … up to `max`, or steps of 0.5 / 1 when the scale is wide. */
function ticks(max: number): number[] {
  const step = max <= 2 ? 0.25 : max <= 4 ? 0.5 : max <= 10 ? 1 : Math.ceil(max / 10);
  const count = Math.round(max / step);
  return Array.from({ length: count + 1 }, (_, index) => index * step);
}

/** The scale's end: a little past the longest bar, on a tick. */
function niceMax(value: number): number {
  const padded = value * 1.04;
  const step = padded <= 2 ? 0.25 : padded <= 4 ? 0.5 : padded <= 10 ? 1 : 5;
  return Math.ceil(padded / step) * step;
}

interface TextOptions {
  readonly size?: number;
  readonly weight?: "bold";
  readonly style?: "italic";
  readonly fill?: string;
  readonly anchor?: "start" | "middle" | "end";
  readonly className?: string;
  /** A white outline, for text that may cross a line or a bar. */
  readonly halo?: boolean;
}

function text(x: number, y: number, content: string, options: TextOptions): string {
  const attributes = [
    `x="${fixed(x)}"`,
    `y="${fixed(y)}"`,
    `font-size="${options.size ?? 12}"`,
    options.weight === undefined ? "" : `font-weight="${options.weight}"`,
    options.style === undefined ? "" : `font-style="${options.style}"`,
    `fill="${options.fill ?? INK}"`,
    options.anchor === undefined || options.anchor === "start"
      ? ""
      : `text-anchor="${options.anchor}"`,
    options.className === undefined ? "" : `class="${options.className}"`,
    options.halo === true
      ? 'stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
      : "",
  ].filter((attribute) => attribute !== "");
  return `<text ${attributes.join(" ")}>${escapeXml(content)}</text>`;
}

/** Text for XML content and attribute values; characters XML 1.0 cannot hold are dropped. */
export function escapeXml(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function wrap(line: string, width: number): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of line.split(" ")) {
    if (current !== "" && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === "" ? word : `${current} ${word}`;
    }
  }
  if (current !== "") lines.push(current);
  return lines;
}

function truncate(value: string, length: number): string {
  return value.length <= length ? value : `${value.slice(0, length - 1)}…`;
}

function finite(value: number | null | undefined): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function objects(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((item) => record(item) === item) : [];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

/** Coordinates to one decimal, so the output is short and the same on every machine. */
function fixed(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** A ratio or goal without trailing zeros: 0.85, 2.5, 3. */
function num(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** The checks a file needs before drawing; the rest is read as it comes. */
export function parseResults(json: string): ResultsFile {
  const value: unknown = JSON.parse(json);
  const file = record(value);
  if (!Array.isArray(file.results)) throw new Error("not a bench results file: no results array");
  const machine = record(file.machine);
  return {
    finishedAt: typeof file.finishedAt === "string" ? file.finishedAt : "unknown time",
    machine: {
      cpuModel: typeof machine.cpuModel === "string" ? machine.cpuModel : "unknown CPU",
      cpuCount: typeof machine.cpuCount === "number" ? machine.cpuCount : 0,
      ...(typeof machine.os === "string" ? { os: machine.os } : {}),
      ...(typeof machine.node === "string" ? { node: machine.node } : {}),
    },
    settings: file.settings,
    results: (file.results as unknown[]).map((entry, index): ChartResult => {
      const result = record(entry);
      if (typeof result.name !== "string") throw new Error(`results[${index}] has no name`);
      return {
        name: result.name,
        kind: typeof result.kind === "string" ? result.kind : "read",
        description: typeof result.description === "string" ? result.description : "",
        medianRequestsPerSecond:
          typeof result.medianRequestsPerSecond === "number"
            ? result.medianRequestsPerSecond
            : null,
        ratios: objects(result.ratios).filter(
          (ratio): ratio is ChartRatio & Record<string, unknown> =>
            typeof ratio.baseline === "string" && typeof ratio.role === "string",
        ),
        targets: objects(result.targets).filter(
          (target): target is ChartTarget & Record<string, unknown> =>
            typeof target.baseline === "string" && typeof target.atLeast === "number",
        ),
        flagged: result.flagged === true,
      };
    }),
  };
}

/** bench/results/2026-12-04.json → bench/results/2026-12-04.svg */
export function svgPathFor(jsonPath: string): string {
  return /\.json$/i.test(jsonPath) ? jsonPath.replace(/\.json$/i, ".svg") : `${jsonPath}.svg`;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: "string" } },
  });
  const [input, ...extra] = positionals;
  if (input === undefined || extra.length > 0) {
    process.stderr.write("usage: node bench/chart.ts RESULTS.json [--out FILE.svg]\n");
    process.exit(2);
  }
  const out = values.out ?? svgPathFor(input);
  writeFileSync(out, chartSvg(parseResults(readFileSync(input, "utf8"))));
  process.stderr.write(`chart written to ${out}\n`);
}
