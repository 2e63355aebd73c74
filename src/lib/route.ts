// The page's place in the URL hash: which recording (or example) is open and
// the position in it, so that a reload opens the same moment, and a link
// names the same moment in a teammate's browser.
//   #rec=<recording id>&t=<icount>[&h=<hart>][&file=<file name>&size=<bytes>]
//   #example=<name>&t=<icount>        (an example opened but not recorded yet)
// The recording id is the one in the file (ParsedRecording.id): the same in
// every browser. `file` and `size` say which file a browser that lacks the
// recording needs.

export type Route =
  | { kind: 'start' }
  | { kind: 'recording'; id: string; t?: number; hart?: number; file?: string; size?: number }
  | { kind: 'example'; name: string; t: number };

function position(value: string | null): number {
  if (value === null || !/^[0-9]{1,16}$/.test(value)) return 0;
  const t = Number(value);
  return Number.isSafeInteger(t) ? t : 0;
}

function optional(value: string | null, max: number): number | undefined {
  if (value === null || !/^[0-9]{1,16}$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n <= max ? n : undefined;
}

export function parseRoute(hash: string): Route {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const rec = params.get('rec');
  if (rec) {
    const route: Route = { kind: 'recording', id: rec.slice(0, 100) };
    const t = optional(params.get('t'), Number.MAX_SAFE_INTEGER);
    const hart = optional(params.get('h'), 7);
    const file = params.get('file');
    const size = optional(params.get('size'), Number.MAX_SAFE_INTEGER);
    if (t !== undefined) route.t = t;
    if (hart !== undefined) route.hart = hart;
    if (file) route.file = file.slice(0, 200);
    if (size !== undefined) route.size = size;
    return route;
  }
  const example = params.get('example');
  if (example) return { kind: 'example', name: example, t: position(params.get('t')) };
  return { kind: 'start' };
}

export function formatRoute(route: Route): string {
  switch (route.kind) {
    case 'start':
      return '';
    case 'recording': {
      let hash = `#rec=${encodeURIComponent(route.id)}`;
      if (route.t !== undefined) hash += `&t=${route.t}`;
      if (route.hart !== undefined) hash += `&h=${route.hart}`;
      if (route.file !== undefined) hash += `&file=${encodeURIComponent(route.file)}`;
      if (route.size !== undefined) hash += `&size=${route.size}`;
      return hash;
    }
    case 'example':
      return `#example=${encodeURIComponent(route.name)}&t=${route.t}`;
  }
}

/** Replaces the URL's hash without a history entry or a hashchange event. */
export function replaceRoute(route: Route): void {
  const hash = formatRoute(route);
  const url = `${location.pathname}${location.search}${hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, '', url);
}

/** Goes to a route with a history entry (Back returns), without a hashchange event. */
export function pushRoute(route: Route): void {
  const hash = formatRoute(route);
  history.pushState(null, '', `${location.pathname}${location.search}${hash || '#'}`);
}
