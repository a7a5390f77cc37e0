import fc from "fast-check";
import type { RawRequest } from "./raw-request";
import { contentTypes, deep, extraHeaders, mutatedBody, queryString } from "./hostile";
import { pathArbitrary, type ActionTarget, type HttpTarget, type Target, type World } from "./targets";

type Header = [string, string];

/** Who the request claims to be: mostly the plausible caller, often someone else or nobody. */
function credentials(w: World, role: HttpTarget["role"]): fc.Arbitrary<Header[]> {
  const plausible: Header[] =
    role === "sdk" ? [["authorization", `Bearer ${w.sdkToken}`]] : role ? [["authorization", `Bearer ${w.tokens[role]}`]] : [];
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(plausible) },
    { weight: 1, arbitrary: fc.constant<Header[]>([]) },
    { weight: 1, arbitrary: fc.constantFrom(...Object.values(w.tokens)).map<Header[]>((t) => [["authorization", `Bearer ${t}`]]) },
    { weight: 1, arbitrary: fc.constant<Header[]>([["x-api-key", w.sdkToken]]) },
    {
      weight: 1,
      // A session, from our own page (Origin), from a page that hid its origin, or as a browser's fetch says.
      arbitrary: fc
        .tuple(
          fc.constantFrom(...Object.values(w.cookies)),
          fc.constantFrom<Header[]>([["origin", w.origin]], [], [["sec-fetch-site", "same-origin"]], [["sec-fetch-site", "cross-site"]]),
        )
        .map<Header[]>(([c, from]) => [["cookie", c], ...from]),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Header[]>(
        [["authorization", "Bearer not-a-real-token"]],
        [["authorization", "Basic dXNlcjpwYXNz"]],
        [["authorization", "Bearer"]],
        [
          ["authorization", `Bearer ${w.tokens.viewer}`],
          ["authorization", `Bearer ${w.tokens.admin}`],
        ],
        [["cookie", "rollgate_session=%E0%A4%A"]],
      ),
    },
  );
}

function httpRequest(target: HttpTarget, w: World): fc.Arbitrary<RawRequest> {
  const [method, template] = target.id.split(" ") as [string, string];
  const hasBody = method !== "GET";
  return fc
    .record({
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(method) },
        { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PROPFIND") },
      ),
      path: pathArbitrary(template, w),
      query: queryString(target.query ?? []),
      auth: credentials(w, target.role),
      contentType: contentTypes,
      extra: extraHeaders,
      body: hasBody ? mutatedBody(target.body?.(w) ?? {}, target.hazards?.(w)) : fc.option(mutatedBody({}), { freq: 8, nil: undefined }),
    })
    .map(({ method, path, query, auth, contentType, extra, body }) => ({
      method,
      path: path + query,
      headers: [...auth, ...contentType.map<Header>((v) => ["content-type", v]), ...extra],
      body: method === "HEAD" ? undefined : body,
      streaming: target.streaming,
    }));
}

function multipart(boundary: string, fields: Header[]): Buffer {
  const parts = fields.map(
    ([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name.replace(/"/g, "%22")}"\r\n\r\n${value}\r\n`,
  );
  return Buffer.from(`${parts.join("")}--${boundary}--\r\n`, "utf8");
}

/** The argument list as React encodes it for `(prevState, formData)`, `()` or `(value)`. */
function actionArgs(target: ActionTarget, w: World): fc.Arbitrary<string> {
  const plausible: fc.Arbitrary<string> =
    target.args === "none"
      ? fc.constant("[]")
      : target.args === "value"
        ? fc.oneof(...target.fields(w).map(([, arb]) => arb)).map((v) => JSON.stringify([v.startsWith("$") ? `$${v}` : v]))
        : fc.constant('[{"status":"idle"},"$K1"]');
  return fc.oneof(
    { weight: 10, arbitrary: plausible },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "[]",
        '["$K1"]',
        "[1,2]",
        "[null,null]",
        '[{"status":"idle"},null]',
        '[{"status":"idle"},"text"]',
        '[{"status":"idle"},{"email":"a@b.c"}]',
        "{}",
        '"$K1"',
        "null",
        '[{"status":"idle"},"$h1"]',
        '[{"status":"idle"},"$F1"]',
        '["$@1","$K1"]',
        '["$Q1","$K1"]',
        '["$B1","$K1"]',
        '[{"$K1":1},"$K1"]',
        '[{"status":"idle"},"$K1","$K1","$K1"]',
        '[{"status":"$$idle"},"$K1"]',
        '[{"status":"idle"},"$Kzz"]',
        JSON.stringify([deep(200), "$K1"]),
        "[" + "[".repeat(5000) + "]".repeat(5000) + "]",
        "not json",
      ),
    },
  );
}

function actionRequest(target: ActionTarget, w: World, actionIds: Map<string, string>): fc.Arbitrary<RawRequest> {
  const id = actionIds.get(target.name);
  if (!id) throw new Error(`server action ${target.name} is not in the build's manifest`);
  const fieldArbs = target.args === "value" ? [] : target.fields(w);
  const fields = fieldArbs.length
    ? fc.tuple(...fieldArbs.map(([name, arb]) => fc.option(arb, { freq: 10, nil: undefined }).map((v) => [name, v] as const)))
    : fc.constant([] as (readonly [string, string | undefined])[]);
  const cookie =
    target.name === "signOutAction"
      ? fc.constantFrom(...w.throwawayCookies, "")
      : fc.oneof(
          { weight: 5, arbitrary: fc.constant(target.role ? w.cookies[target.role] : "") },
          { weight: 2, arbitrary: fc.constantFrom(...Object.values(w.cookies), "") },
        );
  const page = target.page
    .replace("{key}", w.flagKeys[0] ?? "x")
    .replace("{id}", w.rolloutIds[0] ?? "x")
    .replace("{index}", "1");
  const otherIds = [...actionIds.values()].filter((other) => other !== id);
  return fc
    .record({
      actionId: fc.oneof(
        { weight: 12, arbitrary: fc.constant(id) },
        { weight: 1, arbitrary: fc.constantFrom("deadbeef", "", "00".repeat(21), id.toUpperCase(), ...otherIds.slice(0, 3)) },
      ),
      duplicateActionHeader: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      page: fc.oneof(
        { weight: 8, arbitrary: fc.constant(page) },
        { weight: 1, arbitrary: fc.constantFrom("/", "/sign-in", "/admin", "/api/v1/flags") },
      ),
      cookie,
      args: actionArgs(target, w),
      fields,
      encoding: fc.constantFrom("multipart", "multipart", "multipart", "multipart", "text", "broken-multipart", "huge"),
      // Browsers send Origin with every action call; without one a call with a session is refused.
      origin: fc.constantFrom<Header[]>(
        [["origin", w.origin]],
        [["origin", w.origin]],
        [["origin", w.origin]],
        [["sec-fetch-site", "same-origin"]],
        [],
        [["origin", "https://evil.example"]],
        [["origin", "null"]],
      ),
      extra: extraHeaders,
    })
    .map(({ actionId, duplicateActionHeader, page: path, cookie, args, fields, encoding, origin, extra }) => {
      const boundary = "----rollgatefuzz7MA4YWxkTrZu0gW";
      const formFields: Header[] = fields.filter((f): f is readonly [string, string] => f[1] !== undefined).map(([n, v]) => [`_1_${n}`, v]);
      let body: Buffer;
      let contentType: string;
      if (encoding === "text") {
        body = Buffer.from(args, "utf8");
        contentType = "text/plain;charset=UTF-8";
      } else if (encoding === "broken-multipart") {
        body = multipart(boundary, [...formFields, ["0", args]]).subarray(0, 40);
        contentType = `multipart/form-data; boundary=${boundary}`;
      } else if (encoding === "huge") {
        body = multipart(boundary, [...formFields, ["_1_pad", "x".repeat(1_100_000)], ["0", args]]);
        contentType = `multipart/form-data; boundary=${boundary}`;
      } else {
        body = multipart(boundary, [...formFields, ["0", args]]);
        contentType = `multipart/form-data; boundary=${boundary}`;
      }
      const headers: Header[] = [
        ["next-action", actionId],
        ...(duplicateActionHeader ? [["next-action", actionId] as Header] : []),
        ["accept", "text/x-component"],
        ["content-type", contentType],
        ...(cookie ? [["cookie", cookie] as Header] : []),
        ...origin,
        ...extra,
      ];
      return { method: "POST", path, headers, body };
    });
}

export function requestArbitrary(target: Target, w: World, actionIds: Map<string, string>): fc.Arbitrary<RawRequest> {
  return target.kind === "action" ? actionRequest(target, w, actionIds) : httpRequest(target, w);
}
