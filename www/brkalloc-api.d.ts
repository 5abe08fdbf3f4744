/**
 * The shape of the wasm-bindgen module built from crate/lab/src/wasm.rs (www/pkg/brkalloc.js).
 *
 * TypeScript reads the generated www/pkg/brkalloc.d.ts when the module has been built
 * (`npm run build:wasm`), and this file otherwise (see `paths` in tsconfig.json), so the front end
 * type-checks on a machine without a Rust toolchain. Keep the two in step: a difference shows up
 * as a type error once the module is built.
 */

/** Loads and instantiates the wasm module; resolves once its exports are ready. */
export default function init(
  moduleOrPath?: { module_or_path: RequestInfo | URL | Response | BufferSource | WebAssembly.Module } | undefined,
): Promise<unknown>;

/** The layout table's shape, `{fields, stride, freeFlag}` (`BlockTable` in the contract). */
export function blockTable(): unknown;

/** The allocator's constants on wasm32: `{headerSize, align, minData, maxSize, pageSize, maxSegments, trimThreshold}` (`Constants` in the contract). */
export function constants(): unknown;

/** The placement policies in `Policy::ALL` order, each `{name, label, words, summary}` (`PolicyInfo` in the contract). */
export function policies(): unknown;

/** A call as the learner typed it: `malloc(24)`, `free(0x00110008)`. */
export function callText(op: string, args: unknown[]): string;

/** A step as C writes it: `b = realloc(a, 32)`. */
export function stepText(op: string, args: unknown[], name?: string | null): string;

/** An address as every message writes it: `0x00110008`. */
export function addressText(address: number): string;

/** A byte count in words: `1 byte`, `65,536 bytes`. */
export function bytesText(n: number): string;

/** Reads a scenario script into `{steps}`; throws `Error("line L, column C: …")`. */
export function parseScenario(text: string): unknown;

/** Makes a malloc-lab trace (`.rep` text) of a kind the generator knows. */
export function generateTrace(kind: string, ops: number, seed: number): string;

/** A heap in this module's linear memory, grown with `memory.grow`, driven from JavaScript. */
export class Playground {
  constructor(options?: unknown);
  destroy(): void;
  alloc(size: unknown): unknown;
  free(address?: unknown): unknown;
  realloc(address: unknown, size: unknown): unknown;
  calloc(count: unknown, size: unknown): unknown;
  strcpy(dst: unknown, text: unknown): unknown;
  memset(dst: unknown, byte: unknown, count: unknown): unknown;
  store(dst: unknown, index: unknown, byte: unknown): unknown;
  memcpy(dst: unknown, src: unknown, count: unknown): unknown;
  damage(): unknown;
  snapshot(): unknown;
  totals(): unknown;
  freeLists(): unknown;
  options(): unknown;
  reset(options?: unknown): void;
  check(): string | undefined;
  memory(): WebAssembly.Memory;
  heapStart(): number;
  brk(): number;
  limit(): number;
  pagesGrown(): number;
  layout(): number;
  layoutPtr(): number;
  loadTrace(text: string): unknown;
  replayTrace(maxOps: number, sampleEvery: number): unknown;
}
