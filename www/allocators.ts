/**
 * The allocators on offer, as the allocator menu, `?allocator=`, the element's `policy`
 * attribute and the side-by-side panel name them: the brief's seed first, then the improved
 * one, then the other placement policies with every option on.
 */

import { policyInfo } from "./engine";
import { POLICIES, type Options, type PlaygroundOptions, type Policy } from "./types";

/** One entry of the allocator menu. */
export interface Allocator {
  id: string;
  options: PlaygroundOptions;
}

/** The improved preset's policy: the first of `Policy::ALL`, the teaching default. */
export const DEFAULT_POLICY: Policy = POLICIES[0]!;

/** The allocators on offer: the brief's seed first, then the improved one, then the other policies. */
export const ALLOCATORS: readonly Allocator[] = [
  { id: "seed", options: { preset: "seed" } },
  { id: "default", options: { preset: "default" } },
  ...POLICIES.filter((p) => p !== DEFAULT_POLICY).map((policy) => ({ id: policy, options: { preset: "default" as const, policy } })),
];

/** The menu's words for an allocator (the module must be loaded: the policies' labels are Rust's). */
export function allocatorLabel(a: Allocator): string {
  if (a.id === "seed") return "Seed (the brief's allocator)";
  const policy = policyInfo(a.options.policy ?? DEFAULT_POLICY);
  return a.id === "default" ? `Improved (${policy.words} + split + coalesce + trim)` : `${policy.label} + split + coalesce + trim`;
}

/** Whether `o` are the seed's options: first fit, no splitting, no coalescing, no trimming. */
export function isSeed(o: Options): boolean {
  return o.policy === DEFAULT_POLICY && !o.split && !o.coalesce && !o.trim;
}

/** The id of the menu entry whose options are `o`, or "custom" when none is. */
export function allocatorId(o: Options): string {
  if (isSeed(o)) return "seed";
  if (!(o.split && o.coalesce && o.trim)) return "custom";
  return o.policy === DEFAULT_POLICY ? "default" : o.policy;
}

/** The allocator id of a URL's `?allocator=` (default: the seed, the brief's allocator). */
export function allocatorFromUrl(search: string): PlaygroundOptions {
  const id = new URLSearchParams(search).get("allocator");
  return ALLOCATORS.find((a) => a.id === id)?.options ?? { preset: "seed" };
}

/** A short name for a set of options: "Seed (…)", "Best fit + split + coalesce + trim", … */
export function optionsLabel(o: Options): string {
  if (isSeed(o)) return `Seed (${policyInfo(o.policy).words}, no split, no coalesce)`;
  const parts = [policyInfo(o.policy).label];
  if (o.split) parts.push("split");
  if (o.coalesce) parts.push("coalesce");
  if (o.trim) parts.push("trim");
  return parts.join(" + ");
}
