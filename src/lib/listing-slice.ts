// A piece of a disassembly listing: the function around an address, from its
// label to the next one. The source view shows it for code whose source file
// is not at hand (a C library's), rather than an empty panel.
import type { Listing } from '../../workers/engine-api';

/** The function around `address` in `listing`, at most `max` lines of it (around the address); undefined if the listing lacks the address. */
export function functionSlice(listing: Listing, address: number, max = 600): Listing | undefined {
  const at = listing.addresses.indexOf(address);
  if (at < 0) return undefined;
  const lines = listing.text.split('\n');
  const isBreak = (i: number) => listing.addresses[i] < 0;
  let first = at;
  while (first > 0 && !isBreak(first - 1)) first--;
  // Keep the function's label line ("<name>:") when there is one.
  if (first > 0 && /^<.*>:$/.test(lines[first - 1])) first--;
  let end = at + 1;
  while (end < lines.length && !isBreak(end)) end++;
  if (end - first > max) {
    first = Math.max(first, at - Math.floor(max / 2));
    end = Math.min(end, first + max);
  }
  return { text: lines.slice(first, end).join('\n'), addresses: listing.addresses.slice(first, end), title: listing.title };
}
