// The page's place in the URL hash: which recording (or example) is open and
// the position in it, so that a reload opens the same moment.
//   #rec=<stored recording id>&t=<icount>
//   #example=<name>&t=<icount>        (an example opened but not recorded yet)

export type Route =
  | { kind: 'start' }
  | { kind: 'recording'; id: string; t: number }
  | { kind: 'example'; name: string; t: number };

function position(value: string | null): number {
  if (value === null || !/^[0-9]{1,16}$/.test(value)) return 0;
  const t = Number(value);
  return Number.isSafeInteger(t) ? t : 0;
}

export function parseRoute(hash: string): Route {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const rec = params.get('rec');
  if (rec) return { kind: 'recording', id: rec, t: position(params.get('t')) };
  const example = params.get('example');
  if (example) return { kind: 'example', name: example, t: position(params.get('t')) };
  return { kind: 'start' };
}

export function formatRoute(route: Route): string {
  switch (route.kind) {
    case 'start':
      return '';
    case 'recording':
      return `#rec=${encodeURIComponent(route.id)}&t=${route.t}`;
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
