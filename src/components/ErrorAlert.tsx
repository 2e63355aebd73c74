export function ErrorAlert({ message, onDismiss }: { message: string; onDismiss: () => void }) {
  return (
    <div role="alert" className="alert">
      <p className="alert-message">
        <strong>Error:</strong> {message}
      </p>
      <button type="button" className="alert-dismiss" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
