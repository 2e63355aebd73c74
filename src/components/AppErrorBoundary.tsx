import { Component, type ReactNode } from 'react';

/** The last line of defence: a failure while drawing the page is shown in it, never as a blank page. */
export class AppErrorBoundary extends Component<{ children: ReactNode }, { error: string | null }> {
  override state = { error: null as string | null };

  static getDerivedStateFromError(e: unknown) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }

  override render() {
    if (this.state.error === null) return this.props.children;
    return (
      <main className="crashed">
        <h1 className="brand">Hindsight</h1>
        <div role="alert" className="alert">
          <p className="alert-message"><strong>The page failed:</strong> {this.state.error}</p>
        </div>
        <p className="muted">Your recordings are stored in this browser and are not affected.</p>
        <button type="button" className="primary" onClick={() => location.reload()}>Reload the page</button>
      </main>
    );
  }
}
