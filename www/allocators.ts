/**
 * The allocators on offer, as the allocator menu, `?allocator=`, the element's `policy`
 * attribute and the side-by-side panel name them: the brief's seed first, then the improved
 * one, then the other placement policies with every option on.
 */

import type { Options, PlaygroundOptions } from "./types";

/** One entry of the allocator menu. */
export interface Allocator {
  id: string;
  label: string;
  options: PlaygroundOptions;
}

/** The allocators on offer: the brief's seed first, then the improved one, then the policies. */
export const ALLOCATORS: readonly Allocator[] = [
  { id: "seed", label: "Seed (the brief's allocator)", options: { preset: "seed" } },
  { id: "default", label: "Improved (first fit + split + coalesce + trim)", options: { preset: "default" } },
  { id: "next-fit", label: "Next fit + split + coalesce + trim", options: { preset: "default", policy: "next-fit" } },
  { id: "best-fit", label: "Best fit + split + coalesce + trim", options: { preset: "default", policy: "best-fit" } },
  { id: "worst-fit", label: "Worst fit + split + coalesce + trim", options: { preset: "default", policy: "worst-fit" } },
  { id: "segregated", label: "Segregated free lists + split + coalesce + trim", options: { preset: "default", policy: "segregated" } },
];

/** Whether `o` are the seed's options: first fit, no splitting, no coalescing, no trimming. */
export function isSeed(o: Options): boolean {
  return o.policy === "first-fit" && !o.split && !o.coalesce && !o.trim;
}

/** The id of the menu entry whose options are `o`, or "custom" when none is. */
export function allocatorId(o: Options): string {
  if (isSeed(o)) return "seed";
  if (!(o.split && o.coalesce && o.trim)) return "custom";
  return o.policy === "first-fit" ? "default" : o.policy;
}

/** The allocator id of a URL's `?allocator=` (default: the seed, the brief's allocator). */
export function allocatorFromUrl(search: string): PlaygroundOptions {
  const id = new URLSearchParams(search).get("allocator");
  return ALLOCATORS.find((a) => a.id === id)?.options ?? { preset: "seed" };
}

/** A short name for a set of options: "Seed (…)", "Best fit + split + coalesce + trim", … */
export function optionsLabel(o: Options): string {
  if (isSeed(o)) return "Seed (first fit, no split, no coalesce)";
  const parts = [o.policy.replace("-", " ")];
  if (o.split) parts.push("split");
  if (o.coalesce) parts.push("coalesce");
  if (o.trim) parts.push("trim");
  const text = parts.join(" + ");
  return text[0]!.toUpperCase() + text.slice(1);
}
