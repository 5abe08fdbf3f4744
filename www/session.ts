/**
 * A session as data: the allocator's options and the steps, in order, with where the learner
 * stands among them. It is what a link (`#s=…`), an exported JSON file and the undo history
 * hold, and what the timeline replays.
 *
 * A step that frees or reallocs a block names it by the step that returned it (`{step: 2}`),
 * not by its address: replayed on another heap (another allocator side by side, another page
 * with two playgrounds) the same step then finds the same block wherever it landed. An address
 * typed by hand stays an address (`{address: 1114120}`).
 */

import { stepText } from "#brkalloc";
import { POLICIES, type Options } from "./types";

/**
 * Which block a `free`, a `realloc` or a write is about: what an earlier step returned (plus
 * `offset` bytes, for `free(a + 8)`), or an address.
 */
export type PtrRef = { step: number; offset?: number } | { address: number };

/** Where a script wrote a step (1-based line and column), if a script did. */
export interface Source {
  line?: number;
  column?: number;
}

/**
 * One step of a session. `name` is the name a script assigned the result to; `ptrName` (and
 * memcpy's `srcName`) the name a script gave the pointer it passes. The writes return nothing:
 * `ptr` is where their bytes go (memcpy's `src` where they come from).
 */
export type StepSpec = Source &
  (
    | { op: "malloc"; size: number; name?: string }
    | { op: "calloc"; count: number; size: number; name?: string }
    | { op: "realloc"; ptr: PtrRef; size: number; name?: string; ptrName?: string }
    | { op: "free"; ptr: PtrRef; ptrName?: string }
    | { op: "strcpy"; ptr: PtrRef; text: string; ptrName?: string }
    | { op: "memset"; ptr: PtrRef; byte: number; count: number; ptrName?: string }
    | { op: "store"; ptr: PtrRef; index: number; byte: number; ptrName?: string }
    | { op: "memcpy"; ptr: PtrRef; src: PtrRef; count: number; ptrName?: string; srcName?: string }
  );

/** The operations whose step returns a block (`malloc`, `calloc`, `realloc`): what a `{step}` pointer may name. */
export function returnsBlock(spec: StepSpec): boolean {
  return spec.op === "malloc" || spec.op === "calloc" || spec.op === "realloc";
}

/** The whole session. */
export interface Session {
  options: Options;
  steps: StepSpec[];
  /** How many steps are applied to the heap shown. */
  position: number;
}

/**
 * The version of the session format, in links and files. Version 2 added the writes (strcpy,
 * memset, store, memcpy) and the `checks` option; version 3 the `derive` option. Older
 * sessions still open: version 1 with the checks on, both with `next` stored (derive off).
 */
export const SESSION_VERSION = 3;

/** The versions this page reads. */
const READABLE_VERSIONS: readonly number[] = [1, 2, 3];

/** The largest number of steps a link or file may hold, so that a hand-made one cannot hang the page. */
export const MAX_STEPS = 100_000;

/** The longest text a `strcpy` step of a link or file may hold. */
export const MAX_TEXT = 4096;

/**
 * The step as C would write it, in Rust's words (`stepText`): `a = malloc(16)`, `free(a)`,
 * `free(0x00110008)`, `strcpy(a, "hi")`, `a[3] = 'A'`. `address(step)` is the address an
 * earlier step returned, for pointers the script did not name (`null`: unknown here).
 */
export function stepCall(spec: StepSpec, address: (step: number) => number | null = () => null): string {
  const name = "name" in spec && spec.name ? spec.name : undefined;
  // A pointer is a name, an address (written in hex by Rust), or the page's words for one it cannot name.
  const ptr = (ref: PtrRef, ptrName: string | undefined): string | number => {
    if ("address" in ref) return ptrName || ref.address;
    const offset = ref.offset ?? 0;
    if (ptrName) return offset ? `${ptrName} + ${offset}` : ptrName;
    const at = address(ref.step);
    if (at === null) return `(result of step ${ref.step + 1})${offset ? ` + ${offset}` : ""}`;
    return at + offset;
  };
  switch (spec.op) {
    case "malloc":
      return stepText("malloc", [spec.size], name);
    case "calloc":
      return stepText("calloc", [spec.count, spec.size], name);
    case "realloc":
      return stepText("realloc", [ptr(spec.ptr, spec.ptrName), spec.size], name);
    case "free":
      return stepText("free", [ptr(spec.ptr, spec.ptrName)]);
    case "strcpy":
      return stepText("strcpy", [ptr(spec.ptr, spec.ptrName), spec.text]);
    case "memset":
      return stepText("memset", [ptr(spec.ptr, spec.ptrName), spec.byte, spec.count]);
    case "store":
      return stepText("store", [ptr(spec.ptr, spec.ptrName), spec.index, spec.byte]);
    case "memcpy":
      return stepText("memcpy", [ptr(spec.ptr, spec.ptrName), ptr(spec.src, spec.srcName), spec.count]);
  }
}

/**
 * The steps as a scenario script, one statement a line. Blocks freed by a click have no name,
 * so a step that frees one is written with the address the step returned in this run.
 */
export function sessionScript(steps: readonly StepSpec[], addresses: readonly (number | null)[]): string {
  return steps.map((spec) => stepCall(spec, (step) => addresses[step] ?? null)).join("\n");
}

// ---------------------------------------------------------------- reading untrusted sessions

/** A session that could not be read; the message says where and why. */
export class SessionError extends Error {
  override name = "SessionError";
}

function fail(message: string): never {
  throw new SessionError(message);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function whole(x: unknown, where: string, what: string): number {
  if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 0xffffffff) {
    fail(`${where}: ${what} must be a whole number from 0 to 4294967295, not ${JSON.stringify(x) ?? "nothing"}`);
  }
  return x;
}

function name(x: unknown, where: string): string | undefined {
  if (x === undefined || x === null) return undefined;
  if (typeof x !== "string" || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(x)) {
    fail(`${where}: a name must be a C identifier such as "a" or "buf_2", not ${JSON.stringify(x)}`);
  }
  return x;
}

function byte(x: unknown, where: string, what: string): number {
  if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 255) {
    fail(`${where}: ${what} must be a byte, a whole number from 0 to 255, not ${JSON.stringify(x) ?? "nothing"}`);
  }
  return x;
}

function text(x: unknown, where: string): string {
  if (typeof x !== "string") fail(`${where}: text must be a string, not ${JSON.stringify(x) ?? "nothing"}`);
  if (x.length > MAX_TEXT) fail(`${where}: text is ${x.length.toLocaleString("en-US")} characters long; a step holds at most ${MAX_TEXT.toLocaleString("en-US")}`);
  return x;
}

function ptrRef(x: unknown, where: string, index: number, steps: readonly StepSpec[], field = "ptr"): PtrRef {
  if (!isObject(x)) fail(`${where}: ${field} must be {"step": n} or {"address": n}`);
  for (const key of Object.keys(x)) {
    if (!["step", "offset", "address"].includes(key)) fail(`${where}: unknown field "${key}" in ${field}`);
  }
  if ("step" in x) {
    const step = whole(x.step, where, `${field}.step`);
    if (step >= index) fail(`${where}: ${field}.step ${step} does not come before this step`);
    const target = steps[step]!;
    if (!returnsBlock(target)) fail(`${where}: ${field}.step ${step} is a ${target.op}, which returns no block`);
    if (x.offset === undefined) return { step };
    return { step, offset: whole(x.offset, where, `${field}.offset`) };
  }
  if ("address" in x) return { address: whole(x.address, where, `${field}.address`) };
  fail(`${where}: ${field} must be {"step": n} or {"address": n}`);
}

/** The fields each operation's step may have, in a session of each version. */
const FIELDS: Record<StepSpec["op"], readonly string[]> = {
  malloc: ["op", "size", "name", "line", "column"],
  calloc: ["op", "count", "size", "name", "line", "column"],
  realloc: ["op", "ptr", "size", "name", "ptrName", "line", "column"],
  free: ["op", "ptr", "ptrName", "line", "column"],
  strcpy: ["op", "ptr", "text", "ptrName", "line", "column"],
  memset: ["op", "ptr", "byte", "count", "ptrName", "line", "column"],
  store: ["op", "ptr", "index", "byte", "ptrName", "line", "column"],
  memcpy: ["op", "ptr", "src", "count", "ptrName", "srcName", "line", "column"],
};

/** The operations of version 1 sessions; version 2 added the writes. */
const VERSION_1_OPS: readonly string[] = ["malloc", "calloc", "realloc", "free"];

/** A list in words: `"a", "b" or "c"`. */
function either(names: readonly string[]): string {
  const quoted = names.map((n) => `"${n}"`);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}` : quoted.join("");
}

/** Checks a step read from a link or a file, field by field. */
function readStep(x: unknown, index: number, steps: readonly StepSpec[], version: number): StepSpec {
  const where = `step ${index + 1}`;
  if (!isObject(x)) fail(`${where} is not an object`);
  const ops = version === 1 ? VERSION_1_OPS : Object.keys(FIELDS);
  const op = x.op;
  if (typeof op !== "string" || !ops.includes(op)) {
    fail(`${where}: op must be ${either(ops)}, not ${JSON.stringify(op) ?? "nothing"}`);
  }
  const kind = op as StepSpec["op"];
  for (const key of Object.keys(x)) {
    if (!FIELDS[kind].includes(key)) fail(`${where}: unknown field "${key}" for ${op}`);
  }
  const ptr = (): PtrRef => ptrRef(x.ptr, where, index, steps);
  let spec: StepSpec;
  switch (kind) {
    case "malloc":
      spec = { op: kind, size: whole(x.size, where, "size") };
      break;
    case "calloc":
      spec = { op: kind, count: whole(x.count, where, "count"), size: whole(x.size, where, "size") };
      break;
    case "realloc":
      spec = { op: kind, ptr: ptr(), size: whole(x.size, where, "size") };
      break;
    case "free":
      spec = { op: kind, ptr: ptr() };
      break;
    case "strcpy":
      spec = { op: kind, ptr: ptr(), text: text(x.text, where) };
      break;
    case "memset":
      spec = { op: kind, ptr: ptr(), byte: byte(x.byte, where, "byte"), count: whole(x.count, where, "count") };
      break;
    case "store":
      spec = { op: kind, ptr: ptr(), index: whole(x.index, where, "index"), byte: byte(x.byte, where, "byte") };
      break;
    case "memcpy": {
      spec = { op: kind, ptr: ptr(), src: ptrRef(x.src, where, index, steps, "src"), count: whole(x.count, where, "count") };
      const sn = name(x.srcName, where);
      if (sn !== undefined) spec.srcName = sn;
      break;
    }
  }
  const n = name(x.name, where);
  if (n !== undefined) (spec as { name?: string }).name = n;
  const pn = name(x.ptrName, where);
  if (pn !== undefined) (spec as { ptrName?: string }).ptrName = pn;
  if (x.line !== undefined) spec.line = whole(x.line, where, "line");
  if (x.column !== undefined) spec.column = whole(x.column, where, "column");
  return spec;
}

/** Checks the options' shape; their values are the allocator's to accept or refuse. */
function readOptions(x: unknown): Options {
  if (!isObject(x)) fail(`"options" must be an object such as {"policy": "first-fit", "split": false, "coalesce": false, "trim": false, "derive": false, "checks": true}`);
  for (const key of Object.keys(x)) {
    if (!["policy", "split", "coalesce", "trim", "derive", "checks"].includes(key)) {
      fail(`unknown option "${key}": the options are policy, split, coalesce, trim, derive and checks`);
    }
  }
  const policy = x.policy;
  if (typeof policy !== "string" || !(POLICIES as readonly string[]).includes(policy)) {
    fail(`unknown policy ${JSON.stringify(policy) ?? "(none)"}: the policies are ${POLICIES.join(", ")}`);
  }
  const flag = (key: "split" | "coalesce" | "trim" | "derive" | "checks"): boolean => {
    if (typeof x[key] !== "boolean") fail(`${key} must be true or false, not ${JSON.stringify(x[key]) ?? "nothing"}`);
    return x[key] as boolean;
  };
  // Sessions saved before the checks could be turned off had them on; those saved before
  // `next` could be derived stored it in every header.
  const checks = x.checks === undefined ? true : flag("checks");
  const derive = x.derive === undefined ? false : flag("derive");
  return { policy: policy as Options["policy"], split: flag("split"), coalesce: flag("coalesce"), trim: flag("trim"), derive, checks };
}

/** Reads a session from parsed JSON (a link's payload or an exported file). Throws SessionError. */
export function readSession(x: unknown): Session {
  if (!isObject(x)) fail("it is not a session: a JSON object was expected");
  if (x.brkalloc !== "session") fail(`it is not a brkalloc session (no "brkalloc": "session" field)`);
  if (typeof x.version !== "number" || !READABLE_VERSIONS.includes(x.version)) {
    const versions = `${READABLE_VERSIONS.slice(0, -1).join(", ")} and ${READABLE_VERSIONS.at(-1)}`;
    fail(`it is a session of version ${JSON.stringify(x.version) ?? "(none)"}, and this page reads versions ${versions}`);
  }
  const version = x.version;
  const options = readOptions(x.options);
  if (!Array.isArray(x.steps)) fail(`"steps" must be a list`);
  if (x.steps.length > MAX_STEPS) fail(`it has ${x.steps.length} steps; a session holds at most ${MAX_STEPS.toLocaleString("en-US")}`);
  const steps: StepSpec[] = [];
  x.steps.forEach((s, i) => steps.push(readStep(s, i, steps, version)));
  const position = x.position === undefined ? steps.length : whole(x.position, "position", "the position");
  if (position > steps.length) fail(`the position (${position}) is past the last step (${steps.length})`);
  return { options, steps, position };
}

/** The session as the JSON object links and files hold. */
export function sessionJson(session: Session): Record<string, unknown> {
  return {
    brkalloc: "session",
    version: SESSION_VERSION,
    options: session.options,
    position: session.position,
    steps: session.steps,
  };
}

// ---------------------------------------------------------------- links

const LINK_KEY = "s";

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) {
    const bad = /[^A-Za-z0-9_-]/.exec(text)![0];
    fail(`the link's data holds ${JSON.stringify(bad)}, which is not a base64url character (it was cut or edited)`);
  }
  if (text.length % 4 === 1) fail("the link's data has a length no base64url text can have (it was cut short)");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The URL fragment holding `session`: `#s=` and the session's JSON, deflated, in base64url. */
export async function sessionHash(session: Session): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(sessionJson(session)));
  return `#${LINK_KEY}=${toBase64Url(await pipe(json, new CompressionStream("deflate-raw")))}`;
}

/** Whether a URL fragment holds a session. */
export function hasSession(hash: string): boolean {
  return new URLSearchParams(hash.replace(/^#/, "")).has(LINK_KEY);
}

/** Reads the session in a URL fragment (`#s=…`). Throws SessionError saying what is wrong. */
export async function sessionFromHash(hash: string): Promise<Session> {
  const data = new URLSearchParams(hash.replace(/^#/, "")).get(LINK_KEY);
  if (data === null) fail("the link holds no session (#s=…)");
  if (data === "") fail("the link's session is empty (nothing after #s=)");
  let json: string;
  try {
    const bytes = await pipe(fromBase64Url(data), new DecompressionStream("deflate-raw"));
    json = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    if (e instanceof SessionError) throw e;
    fail("the link's data does not unpack (it was cut short or edited by hand)");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    fail("the link's data unpacks, but not to JSON (it was edited by hand)");
  }
  return readSession(parsed);
}
