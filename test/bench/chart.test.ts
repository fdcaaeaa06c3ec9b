import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ChartResult,
  chartSvg,
  floorsOf,
  parseResults,
  type ResultsFile,
  svgPathFor,
} from "../../bench/chart.ts";

const TESSERA_BLUE = "#2f6db5";
const PEER_GREY = "#a3a3a3";

function ratio(baseline: string, role: "floor" | "peer", ofMedians: number) {
  return { baseline, role, ofMedians, roundMin: ofMedians - 0.02, roundMax: ofMedians + 0.03 };
}

function floor(name: string, description: string, median: number): ChartResult {
  return {
    name,
    kind: "floor",
    description,
    medianRequestsPerSecond: median,
    ratios: name === "floor-bare" ? [] : [ratio("floor-bare", "floor", median / 30000)],
    targets: [],
    flagged: false,
  };
}

/**
 * Three floors; tessera's contenders on a specific floor, on floor-bare alone and on two floors;
 * two peers, one listed before the tessera contenders it sits beside; targets against a floor
 * (met) and against a peer (not met); XML's special characters in names and descriptions.
 */
function fixture(): ResultsFile {
  return {
    finishedAt: "2026-12-04T10:11:12.345Z",
    machine: { cpuModel: "Test CPU <v2> & co", cpuCount: 4, os: "Linux 6.1", node: "v24.21.0" },
    settings: { quick: false, rounds: 5, durationSeconds: 10, connections: 64 },
    results: [
      floor("floor-bare", "bare node:http answering the JSON", 30000),
      floor("floor-redis-write", "bare node:http + GET + SET", 15000),
      floor("floor-express", "Express 5 answering the JSON & <nothing> else", 20000),
      {
        name: "express-session-redis-write",
        kind: "write",
        description: "peer: Express 5 + express-session + connect-redis",
        medianRequestsPerSecond: 3000,
        ratios: [
          ratio("floor-express", "floor", 0.15),
          ratio("floor-bare", "floor", 0.1),
          ratio("floor-redis-write", "floor", 0.2),
        ],
        targets: [],
        flagged: false,
        // Fields the chart does not know are ignored.
        windows: [{ requestsPerSecond: 3000 }],
      } as ChartResult,
      {
        name: "session-write-redis",
        kind: "write",
        description: "createSessions + withSessions, s.set() on every request, redisStore",
        medianRequestsPerSecond: 12000,
        ratios: [
          ratio("floor-bare", "floor", 0.4),
          ratio("floor-redis-write", "floor", 0.8),
          ratio("express-session-redis-write", "peer", 4),
        ],
        targets: [{ baseline: "floor-redis-write", atLeast: 0.75, measured: 0.8, met: true }],
        flagged: false,
      },
      {
        name: "express-tessera-redis-write",
        kind: "write",
        description: "Express 5 + expressSessions + redisStore",
        medianRequestsPerSecond: 4200,
        ratios: [
          ratio("floor-express", "floor", 0.21),
          ratio("floor-bare", "floor", 0.14),
          ratio("floor-redis-write", "floor", 0.28),
          ratio("express-session-redis-write", "peer", 1.4),
        ],
        targets: [
          { baseline: "express-session-redis-write", atLeast: 1.5, measured: 1.4, met: false },
        ],
        flagged: false,
      },
      {
        name: "session-read-<memory>&'\"",
        kind: "read",
        description: "the engine's own cost: s.get() & nothing <else>",
        medianRequestsPerSecond: 27000,
        ratios: [ratio("floor-bare", "floor", 0.9)],
        targets: [],
        flagged: false,
      },
    ],
  };
}

interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

/**
 * A small XML reader, enough to show the SVG is well-formed: one root, every tag closed in
 * order, attributes quoted and unique, and only the five predefined entities (or character
 * references) in text and attribute values.
 */
function parseXml(source: string): XmlElement {
  const body = source.replace(/^<\?xml[^?]*\?>\s*/, "");
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  const decode = (raw: string): string => {
    assert.doesNotMatch(
      raw,
      /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);)/,
      `bare & in ${raw}`,
    );
    return raw
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, "&");
  };
  let position = 0;
  while (position < body.length) {
    token.lastIndex = position;
    const match = token.exec(body);
    assert.ok(
      match !== null,
      `not well-formed at ${position}: ${body.slice(position, position + 60)}`,
    );
    position = token.lastIndex;
    const [, closing, name, attributeText, selfClosing, text] = match;
    const current = stack.at(-1) as XmlElement;
    if (text !== undefined) {
      assert.ok(stack.length > 1 || text.trim() === "", "text outside the root");
      current.text += decode(text);
    } else if (closing === "/") {
      assert.equal(current.name, name, `</${name}> closes <${current.name}>`);
      stack.pop();
    } else {
      const attributes: Record<string, string> = {};
      for (const [, key, value] of (attributeText ?? "").matchAll(/([\w:.-]+)="([^"]*)"/g)) {
        assert.ok(!((key as string) in attributes), `attribute ${key} twice on <${name}>`);
        attributes[key as string] = decode(value as string);
      }
      const element: XmlElement = { name: name as string, attributes, children: [], text: "" };
      current.children.push(element);
      if (selfClosing !== "/") stack.push(element);
    }
  }
  assert.equal(stack.length, 1, `unclosed <${stack.at(-1)?.name}>`);
  assert.equal(root.children.length, 1, "one root element");
  return root.children[0] as XmlElement;
}

function descendants(element: XmlElement): XmlElement[] {
  return element.children.flatMap((child) => [child, ...descendants(child)]);
}

/** All the text inside an element, its children's included. */
function textOf(element: XmlElement): string {
  return element.text + element.children.map(textOf).join("");
}

function bars(svg: XmlElement): XmlElement[] {
  return descendants(svg).filter(
    (element) => element.name === "g" && /\bbar\b/.test(element.attributes.class ?? ""),
  );
}

function bar(svg: XmlElement, contender: string, floorName: string): XmlElement {
  const found = bars(svg).filter(
    (element) =>
      element.attributes["data-contender"] === contender &&
      element.attributes["data-floor"] === floorName,
  );
  assert.equal(found.length, 1, `one bar of ${contender} ÷ ${floorName}`);
  return found[0] as XmlElement;
}

/** The panels' titles, in order: the text elements starting with "÷ ". */
function panelTitles(svg: XmlElement): string[] {
  return svg.children
    .filter((element) => element.name === "text" && textOf(element).startsWith("÷ "))
    .map(textOf);
}

test("the SVG is well-formed XML with a size, a white background and sans-serif text", () => {
  const source = chartSvg(fixture());
  const svg = parseXml(source);
  assert.equal(svg.name, "svg");
  assert.equal(svg.attributes.xmlns, "http://www.w3.org/2000/svg");
  assert.equal(svg.attributes.width, "900");
  assert.match(svg.attributes.height ?? "", /^\d+$/);
  assert.equal(svg.attributes["font-family"], "sans-serif");
  const background = svg.children.find((element) => element.name === "rect");
  assert.equal(background?.attributes.fill, "#ffffff");
  assert.equal(background?.attributes.width, "900");
  assert.doesNotMatch(source, /NaN|Infinity|undefined/);
});

test("each floor with contenders measured against it gets a panel, titled with its description", () => {
  const svg = parseXml(chartSvg(fixture()));
  assert.deepEqual(panelTitles(svg), [
    "÷ floor-bare (bare node:http answering the JSON)",
    "÷ floor-redis-write (bare node:http + GET + SET)",
    "÷ floor-express (Express 5 answering the JSON & <nothing> else)",
  ]);
});

test("a contender goes under each specific floor it has, and under floor-bare only without one", () => {
  const results = fixture().results;
  const byName = (name: string) => results.find((result) => result.name === name) as ChartResult;
  assert.deepEqual(floorsOf(byName("express-tessera-redis-write")), [
    "floor-express",
    "floor-redis-write",
  ]);
  assert.deepEqual(floorsOf(byName("session-write-redis")), ["floor-redis-write"]);
  assert.deepEqual(floorsOf(byName("session-read-<memory>&'\"")), ["floor-bare"]);

  const svg = parseXml(chartSvg(fixture()));
  const placed = bars(svg).map(
    (element) => `${element.attributes["data-contender"]} ÷ ${element.attributes["data-floor"]}`,
  );
  assert.deepEqual(placed, [
    "session-read-<memory>&'\" ÷ floor-bare",
    // Tessera's first, in input order, then the peer, though the peer came first in the input.
    "session-write-redis ÷ floor-redis-write",
    "express-tessera-redis-write ÷ floor-redis-write",
    "express-session-redis-write ÷ floor-redis-write",
    "express-tessera-redis-write ÷ floor-express",
    "express-session-redis-write ÷ floor-express",
  ]);
});

test("each bar shows its ratio of medians and a whisker; tessera's in colour, peers in grey", () => {
  const svg = parseXml(chartSvg(fixture()));
  const cases = [
    { contender: "session-write-redis", floor: "floor-redis-write", value: "0.80", peer: false },
    {
      contender: "express-tessera-redis-write",
      floor: "floor-express",
      value: "0.21",
      peer: false,
    },
    {
      contender: "express-session-redis-write",
      floor: "floor-redis-write",
      value: "0.20",
      peer: true,
    },
    { contender: "express-session-redis-write", floor: "floor-express", value: "0.15", peer: true },
  ];
  for (const { contender, floor: floorName, value, peer } of cases) {
    const group = bar(svg, contender, floorName);
    const parts = descendants(group);
    const rect = parts.find((element) => element.name === "rect");
    assert.equal(rect?.attributes.fill, peer ? PEER_GREY : TESSERA_BLUE, contender);
    assert.equal(group.attributes.class, peer ? "bar peer" : "bar tessera");
    const shown = parts.find((element) => element.attributes.class === "value");
    assert.equal(shown === undefined ? undefined : textOf(shown), value);
    assert.ok(
      parts.some((element) => element.attributes.class === "whisker"),
      `${contender} has a whisker`,
    );
  }
});

test("bars are to scale, and the floor line stands at the same x in every panel", () => {
  const svg = parseXml(chartSvg(fixture()));
  const width = (contender: string, floorName: string): number =>
    Number(
      descendants(bar(svg, contender, floorName)).find((element) => element.name === "rect")
        ?.attributes.width,
    );
  const redis = width("session-write-redis", "floor-redis-write"); // 0.8
  const peer = width("express-session-redis-write", "floor-redis-write"); // 0.2
  assert.ok(Math.abs(redis / peer - 4) < 0.01, `${redis} / ${peer}`);
  const floorLines = svg.children.filter(
    (element, index) =>
      element.name === "line" &&
      svg.children[index + 1]?.name === "text" &&
      textOf(svg.children[index + 1] as XmlElement) === "floor",
  );
  assert.equal(floorLines.length, 3, "a floor line in each panel");
  assert.equal(new Set(floorLines.map((line) => line.attributes.x1)).size, 1);
});

test("targets are drawn on their bars: met in green, not met in red, a peer's at its multiple", () => {
  const svg = parseXml(chartSvg(fixture()));
  const targets = (contender: string, floorName: string) =>
    descendants(bar(svg, contender, floorName)).filter(
      (element) => element.name === "g" && (element.attributes.class ?? "").startsWith("target"),
    );

  const [met] = targets("session-write-redis", "floor-redis-write");
  assert.equal(met?.attributes.class, "target met");
  assert.match(textOf(met as XmlElement), /target ≥ 0\.75: met \(0\.80\)/);
  assert.ok(descendants(met as XmlElement).some((e) => e.attributes.stroke === "#1e8a3e"));

  // 1.5 × the peer: the peer's bar is 0.2 of floor-redis-write and 0.15 of floor-express.
  for (const [floorName, peerRatio] of [
    ["floor-redis-write", 0.2],
    ["floor-express", 0.15],
  ] as const) {
    const [missed] = targets("express-tessera-redis-write", floorName);
    assert.equal(missed?.attributes.class, "target missed");
    assert.match(
      textOf(missed as XmlElement),
      /target vs express-session-redis-write ≥ 1\.5×: not met \(1\.40\)/,
    );
    const tick = descendants(missed as XmlElement).find((element) => element.name === "line");
    assert.equal(tick?.attributes.stroke, "#c62828");
    // The fixture's medians agree with its ratios, so the goal sits at 1.5 × the peer's bar.
    const peerRect = descendants(bar(svg, "express-session-redis-write", floorName)).find(
      (element) => element.name === "rect",
    );
    const expected = Number(peerRect?.attributes.x) + 1.5 * Number(peerRect?.attributes.width);
    const at = Number(tick?.attributes.x1);
    assert.ok(
      Math.abs(at - expected) < 0.3,
      `${floorName}: ${peerRatio} peer, tick ${at} ≈ ${expected}`,
    );
  }
  assert.deepEqual(targets("express-session-redis-write", "floor-express"), []);
});

test("a target whose baseline did not run is listed under the chart instead", () => {
  const file = fixture();
  const results = file.results.map((result) =>
    result.name === "session-write-redis"
      ? { ...result, targets: [{ baseline: "some-peer", atLeast: 2, measured: undefined }] }
      : result,
  );
  const svg = parseXml(chartSvg({ ...file, results }));
  assert.ok(
    svg.children.some((element) =>
      textOf(element).includes(
        "Targets not drawn (baseline not measured): session-write-redis vs some-peer ≥ 2",
      ),
    ),
  );
});

test("XML's special characters are escaped in every text and attribute", () => {
  const source = chartSvg(fixture());
  assert.ok(source.includes("session-read-&lt;memory&gt;&amp;&apos;&quot;"));
  assert.ok(source.includes("Express 5 answering the JSON &amp; &lt;nothing&gt; else"));
  assert.ok(source.includes("Test CPU &lt;v2&gt; &amp; co × 4"));
  assert.ok(!source.includes("<memory>"));
  assert.ok(!source.includes("<nothing>"));
  const svg = parseXml(source);
  // And they read back as they were.
  const memory = bar(svg, "session-read-<memory>&'\"", "floor-bare");
  assert.ok(textOf(memory).includes("session-read-<memory>&'\""));
  assert.ok(textOf(memory).includes("s.get() & nothing <else>"));
});

test("heading names the date and machine; the footer says how the figures were made", () => {
  const svg = parseXml(chartSvg(fixture()));
  const texts = svg.children.filter((element) => element.name === "text").map(textOf);
  assert.ok(texts.some((line) => line.startsWith("tessera benchmark")));
  assert.ok(
    texts.some((line) =>
      line.startsWith("2026-12-04 10:11 UTC · Test CPU <v2> & co × 4 · Linux 6.1 · Node v24.21.0"),
    ),
  );
  assert.ok(
    texts.includes(
      "npm run bench (full run); ratios of medians of interleaved rounds; whiskers: single-round range",
    ),
  );
});

test("the output is deterministic", () => {
  const first = chartSvg(fixture());
  assert.equal(chartSvg(fixture()), first);
  assert.equal(chartSvg(structuredClone(fixture())), first);
  assert.equal(chartSvg(parseResults(JSON.stringify(fixture()))), first);
});

test("a ratio JSON turned into null (NaN) shows n/a, and the chart still draws", () => {
  const file = parseResults(
    JSON.stringify({
      ...fixture(),
      results: fixture().results.map((result) =>
        result.name === "session-write-redis"
          ? {
              ...result,
              ratios: result.ratios.map((r) => ({ ...r, ofMedians: Number.NaN, roundMax: null })),
            }
          : result,
      ),
    }),
  );
  const source = chartSvg(file);
  const svg = parseXml(source);
  const group = bar(svg, "session-write-redis", "floor-redis-write");
  assert.equal(
    textOf(
      descendants(group).find((element) => element.attributes.class === "value") as XmlElement,
    ),
    "n/a",
  );
  assert.ok(!descendants(group).some((element) => element.name === "rect"));
  assert.doesNotMatch(source, /NaN/);
});

test("with nothing measured against a floor, the chart says so", () => {
  const file = fixture();
  const svg = parseXml(
    chartSvg({ ...file, results: file.results.filter((result) => result.kind === "floor") }),
  );
  assert.deepEqual(panelTitles(svg), []);
  assert.ok(svg.children.some((element) => textOf(element).includes("No contender was measured")));
});

test("the results file is read leniently, and the SVG goes next to it", () => {
  assert.throws(() => parseResults("{}"), /no results array/);
  const file = parseResults(
    JSON.stringify({ finishedAt: "x", machine: {}, results: [{ name: "a", ratios: [null, 3] }] }),
  );
  assert.deepEqual(file.results[0]?.ratios, []);
  assert.equal(svgPathFor("bench/results/2026-12-04.json"), "bench/results/2026-12-04.svg");
  assert.equal(svgPathFor("results"), "results.svg");
});
