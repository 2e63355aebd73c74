/**
 * Errors thrown by the recording store. Every failure of the browser's
 * storage is reported as a {@link StorageError}; running out of space is the
 * subclass {@link StorageFullError}. Invalid arguments (a caller's bug) are
 * a `RangeError`, and a file refused by the recording codec is its
 * `RecordingError`, unchanged.
 */

export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** The browser refused a write because its storage quota is used up. Nothing of that write was stored. */
export class StorageFullError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageFullError';
  }
}

/** No recording with that id is stored (it was deleted, or never existed). */
export class RecordingNotFoundError extends StorageError {
  readonly id: string;

  constructor(id: string) {
    super(`no stored recording has the id ${JSON.stringify(id)}`);
    this.name = 'RecordingNotFoundError';
    this.id = id;
  }
}

/** Whether an error (a thrown one, or a transaction's `error`) is the browser's quota error. */
export function isQuotaError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  // 22 is DOMException.QUOTA_EXCEEDED_ERR, which older engines set without the name.
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22;
}

/** "Name: message" of an error, for the message of a wrapping StorageError. */
export function describeError(error: unknown): string {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'name' in error)) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    const n = typeof name === 'string' && name ? name : 'Error';
    return typeof message === 'string' && message ? `${n}: ${message}` : n;
  }
  return String(error);
}
