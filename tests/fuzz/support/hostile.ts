import fc from "fast-check";

/** Strings an attacker tries first: NUL and other controls, spoofing characters, injection and traversal. */
export const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\u0007\u001b[31mred",
  "line\nbreak",
  "\r\n\r\nHTTP/1.1 200 OK",
  "\u202eevil\u202c",
  "\u2066isolate\u2069",
  "\u2028",
  "\ud800",
  "\udfff lone",
  "🦄🏳️‍🌈",
  "é".normalize("NFD"),
  "'; DROP TABLE flags; --",
  "' OR '1'='1",
  "\\",
  "%00",
  "%E0%A4%A",
  "../../../../etc/passwd",
  "..%2F..%2F",
  "<script>alert(1)</script>",
  "{{7*7}}${7*7}",
  "$K1",
  "$@0",
  "$h1",
  "$F0",
  "$$escaped",
  "__proto__",
  "constructor",
  "NaN",
  "Infinity",
  "-0",
  "1e309",
  "null",
  "true",
  "x".repeat(201),
  "y".repeat(5001),
] as const;

/** Placeholders replaced by literals JSON cannot express (a lenient parser might accept them). */
export const RAW = {
  NaN: "\uE000NaN",
  Infinity: "\uE000Infinity",
  MinusInfinity: "\uE000-Infinity",
  Huge: "\uE0001e999",
  MinusZero: "\uE000-0",
} as const;

/**
 * Numbers that broke something once or sit on a limit: past the last instant a Date holds (8.64e15)
 * yet still safe integers (up to 2^53, a RangeError in `toISOString`, issue 22), unsafe integers,
 * past bigint, counts past any plausible bound.
 */
const HOSTILE_NUMBERS = [0, -1, 1.5, 101, 2 ** 31, 1e9 + 1, 8.64e15 + 1, 9e15, 2 ** 53 - 1, 2 ** 53 + 1, -(2 ** 63), 1e308] as const;

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const control = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
// Any code point, lone surrogates included: what fast-check's "binary" unit draws. Not
// `fc.string({ unit: "binary" })`, which maps its 1.1 million code points in reverse to place its
// dangerous words (`__proto__`, `constructor`…) in strings: 0.75 s of CPU in every process that loads
// this file. The grapheme strings below still get those words, and NASTY_STRINGS has them whole.
const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.array(anyCodePoint, { maxLength: 40 }).map((points) => points.join("")) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(control, loneSurrogate, fc.constantFrom("a", "-", ".")), maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
);

/** Any JSON-ish value of any type, to put where a field expects something else. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: hostileNumberLazy() },
  { weight: 1, arbitrary: fc.constantFrom(RAW.NaN, RAW.Infinity, RAW.MinusInfinity, RAW.Huge, RAW.MinusZero) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(hostileStringLazy(), { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("a", "__proto__", "$K1", "constructor"), hostileStringLazy(), { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 20, max: 800 }).map((d) => deep(d)) },
);

function hostileStringLazy(): fc.Arbitrary<string> {
  return fc.constantFrom(...NASTY_STRINGS);
}

function hostileNumberLazy(): fc.Arbitrary<number> {
  return fc.constantFrom(...HOSTILE_NUMBERS);
}

type Path = (string | number)[];

/**
 * Where a body can be broken below its top level: every leaf (arrays through their first element
 * only, so a 20-slot histogram does not drown out the rest) and every key of a nested object.
 */
function nestedPlaces(value: unknown, path: Path = [], out: { leaves: Path[]; keys: Path[] } = { leaves: [], keys: [] }) {
  if (Array.isArray(value)) {
    if (value.length) nestedPlaces(value[0], [...path, 0], out);
  } else if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      if (path.length) out.keys.push([...path, key]);
      nestedPlaces(child, [...path, key], out);
    }
  } else if (path.length > 1) {
    out.leaves.push(path);
  }
  return out;
}

/** A copy of `root` with the value at `path` replaced, or its last key renamed (`rename`). */
function editAt(root: unknown, path: Path, change: { value: unknown } | { rename: string }): unknown {
  const copy: unknown = structuredClone(root);
  let parent = copy as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if ("value" in change) {
    parent[last] = change.value;
  } else {
    const entries = Object.entries(parent).map(([k, v]) => [k === String(last) ? change.rename : k, v] as const);
    for (const k of Object.keys(parent)) delete parent[k];
    for (const [k, v] of entries) parent[k] = v;
  }
  return copy;
}

/** A value of the leaf's own type most of the time (where validation is subtle), anything otherwise. */
function hostileLike(leaf: unknown): fc.Arbitrary<unknown> {
  if (typeof leaf === "number") return fc.oneof({ weight: 3, arbitrary: hostileNumberLazy() }, { weight: 1, arbitrary: hostileValue });
  if (typeof leaf === "string") return fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: hostileValue });
  return hostileValue;
}

function valueAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], root);
}

/** Bodies over every route's limit (the largest, SDK events, takes 4 MB), sent now and then. */
const OVERSIZED = [1_200_000, 3_000_000, 4_500_000] as const;

export function deep(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = i % 2 ? { a: value } : [value];
  return value;
}

/** JSON text of `value`, with the RAW placeholders written out as bare literals. */
export function toJsonText(value: unknown): string {
  return (JSON.stringify(value) ?? "null").replace(/"\uE000([^"]*)"/g, "$1");
}

/**
 * A body for a route that expects `base`: usually `base` with one field broken (wrong type, hostile
 * string, removed, extra), sometimes something else entirely.
 */
export function mutatedBody(base: Record<string, unknown>, hazards: readonly unknown[] = []): fc.Arbitrary<Buffer> {
  const keys = Object.keys(base);
  const { leaves, keys: nestedKeys } = nestedPlaces(base);
  // Below the top level: a leaf given a hostile value of its kind (an event's timestamp, a count),
  // a nested key renamed (an Unleash toggle name with a NUL in it).
  const nested: fc.Arbitrary<unknown>[] = [
    ...(leaves.length
      ? [fc.constantFrom(...leaves).chain((path) => hostileLike(valueAt(base, path)).map((value) => editAt(base, path, { value })))]
      : []),
    ...(nestedKeys.length
      ? [fc.tuple(fc.constantFrom(...nestedKeys), hostileString).map(([path, rename]) => editAt(base, path, { rename }))]
      : []),
  ];
  const object: fc.Arbitrary<unknown> = fc.oneof(
    ...(nested.length ? [{ weight: 4, arbitrary: fc.oneof(...nested) }] : []),
    // Inputs that once broke the route (the target lists them), so each run sends them again.
    ...(hazards.length ? [{ weight: 2, arbitrary: fc.constantFrom(...hazards) }] : []),
    { weight: 1, arbitrary: fc.constant(base) },
    {
      weight: 5,
      arbitrary: keys.length
        ? fc.tuple(fc.constantFrom(...keys), hostileValue).map(([k, v]) => ({ ...base, [k]: v }))
        : hostileValue.map((v) => ({ x: v })),
    },
    { weight: 1, arbitrary: keys.length ? fc.constantFrom(...keys).map((k) => ({ ...base, [k]: undefined })) : fc.constant({}) },
    { weight: 1, arbitrary: fc.tuple(hostileString, hostileValue).map(([k, v]) => ({ ...base, [k]: v })) },
    { weight: 1, arbitrary: hostileValue },
  );
  return fc.oneof(
    { weight: 12, arbitrary: object.map((v) => Buffer.from(toJsonText(v), "utf8")) },
    { weight: 1, arbitrary: object.map((v) => Buffer.from(toJsonText(v).slice(0, -1), "utf8")) },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "[", "nul", "{'a':1}", '{"a":1,}', "\uFEFF{}", "{}{}").map((s) => Buffer.from(s)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
        Buffer.from([0xff, 0xfe, 0x00]),
        Buffer.from([0xed, 0xa0, 0x80]),
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 200_000 }).map((d) => Buffer.from("[".repeat(d) + "]".repeat(d))) },
    { weight: 1, arbitrary: fc.constantFrom(...OVERSIZED).map((n) => oversizedBody(base, n)) },
  );
}

const paddings = new Map<number, Buffer>();

/**
 * JSON.stringify({ ...base, pad: "x".repeat(n) }) as bytes, from a padding made once per size: a shard
 * sends a few hundred of these, and writing out megabytes of JSON each time was a fifth of the fuzz
 * worker's CPU.
 */
export function oversizedBody(base: Record<string, unknown>, n: number): Buffer {
  if ("pad" in base) return Buffer.from(JSON.stringify({ ...base, pad: "x".repeat(n) }));
  let padding = paddings.get(n);
  if (!padding) paddings.set(n, (padding = Buffer.alloc(n, "x")));
  const empty = JSON.stringify({ ...base, pad: "" }); // …,"pad":""}
  return Buffer.concat([Buffer.from(empty.slice(0, -2)), padding, Buffer.from(empty.slice(-2))]);
}

const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

export const contentTypes: fc.Arbitrary<readonly string[]> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(["application/json"]) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        "application/json; charset=utf-8",
        "application/json; charset=latin1",
        "text/plain",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "text/x-component",
        ";;;",
        "application/json, text/html",
      )
      .map((v) => [v]),
  },
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.constant(["application/json", "text/plain"]) },
  { weight: 1, arbitrary: headerText.map((v) => [v]) },
);

/** Extra header lines: duplicates, oversized values, cross-site origins, junk. */
export const extraHeaders: fc.Arbitrary<readonly [string, string][]> = fc.oneof(
  { weight: 6, arbitrary: fc.constant([]) },
  {
    weight: 4,
    arbitrary: fc
      .array(
        fc.oneof(
          fc.constant<[string, string]>(["origin", "https://evil.example"]),
          fc.constant<[string, string]>(["origin", "null"]),
          fc.constant<[string, string]>(["x-forwarded-host", "evil.example"]),
          fc.constant<[string, string]>(["if-none-match", '"1-abc", W/"x", *']),
          fc.constant<[string, string]>(["last-event-id", "-1"]),
          // The stream resumes from this version: one it has, one far ahead, one past any integer.
          fc.constant<[string, string]>(["last-event-id", "1"]),
          fc.constant<[string, string]>(["last-event-id", "99999999999999999999999"]),
          headerText.map<[string, string]>((v) => ["last-event-id", v]),
          fc.constant<[string, string]>(["accept", "text/x-component"]),
          fc.constant<[string, string]>(["x-api-key", ""]),
          // A client that closes after one request: the server must not close on an unread upload.
          fc.constant<[string, string]>(["connection", "close"]),
          fc.constant<[string, string]>(["cookie", "rollgate_session=%E0%A4%A; rollgate_session=x"]),
          fc.constant<[string, string]>(["x-long", "v".repeat(8000)]),
          headerText.map<[string, string]>((v) => ["x-fuzz", v]),
          headerText.map<[string, string]>((v) => ["authorization", v]),
        ),
        { maxLength: 3 },
      )
      // Node's HTTP parser answers headers over 16 KB with 431 and closes the socket before any of our
      // code runs; one oversized header (8 KB) tests our handling, three would only test Node's.
      .map((headers) => headers.filter(([name], i) => name !== "x-long" || headers.findIndex(([n]) => n === "x-long") === i)),
  },
);

/** A path segment: a real value, or something that should be refused or simply not found. */
export function segment(valid: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: valid.length ? fc.constantFrom(...valid).map(encodeURIComponent) : fc.constant("x") },
    { weight: 2, arbitrary: hostileString.map((s) => encodeURIComponent(toWellFormed(s))) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "%E0%A4%A",
        "%",
        "%zz",
        "%00",
        "a%00b",
        "%2e%2e",
        "..",
        "%2F",
        "%C0%AF",
        "%FF%FE",
        "%uD800",
        "%ED%A0%80",
        "x".repeat(500),
        "-1",
        "0",
        "99999999999999999999",
      ),
    },
  );
}

export function toWellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/** A query string built from known parameter names (hostile values, repeats) and junk names. */
export function queryString(names: readonly string[]): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.constantFrom(
      "1",
      "50",
      "0",
      "-1",
      "1e3",
      "abc",
      "",
      "production",
      "staging",
      "flag_state",
      "%E0%A4%A",
      "%00",
      "%",
      "NaN",
      "Infinity",
    ),
    hostileString.map((s) => encodeURIComponent(toWellFormed(s))),
  );
  const name = names.length
    ? fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...names) },
        { weight: 1, arbitrary: fc.constantFrom("x", "%00", "__proto__", "a[]") },
      )
    : fc.constantFrom("x", "%00");
  return fc
    .array(fc.tuple(name, value), { maxLength: 4 })
    .map((pairs) => (pairs.length ? `?${pairs.map(([n, v]) => `${n}=${v}`).join("&")}` : ""));
}
