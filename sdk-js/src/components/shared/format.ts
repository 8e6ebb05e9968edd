/**
 * Text formatting shared by the components, free of Lit and of the DOM: short
 * times, one-line excerpts, byte counts, error messages, and whether a scrolled
 * box is near its end.
 *
 * @packageDocumentation
 */

/** `text` on one line, cut to `max` characters with an ellipsis. */
export function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Whether a scrolled box is within `threshold` pixels of its end. */
export function nearEnd(box: { scrollTop: number; clientHeight: number; scrollHeight: number }, threshold = 80): boolean {
  return box.scrollTop + box.clientHeight >= box.scrollHeight - threshold;
}

/** A short local time for a timestamp: `14:05` today, else `3 Mar` (or with the year when not this year). */
export function shortTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  if (sameDay) return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const month = d.toLocaleString('en', { month: 'short' });
  return d.getFullYear() === now.getFullYear() ? `${d.getDate()} ${month}` : `${d.getDate()} ${month} ${d.getFullYear()}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** A person-readable message for an error thrown by the client. */
export function errorText(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

/** A byte count for people: `512 B`, `1.5 KB`, `12 MB`, `1.1 GB` (powers of 1024). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = value < 10 ? value.toFixed(1).replace(/\.0$/, '') : String(Math.round(value));
  return `${text} ${units[unit]}`;
}
