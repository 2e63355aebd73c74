export function ErrorAlert({ message, onDismiss, title = 'Error' }: { message: string; onDismiss?: () => void; title?: string }) {
  return (
    <div role="alert" className="alert">
      <p className="alert-message">
        <strong>{title}:</strong> {message}
      </p>
      {onDismiss && (
        <button type="button" className="alert-dismiss small" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
