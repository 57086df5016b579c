/** Text building blocks for the table output: aligned columns, usage bars, ages. Pure. */

/**
 * Columns padded to their widest cell and separated by three spaces, as `kubectl get` prints
 * them; no trailing spaces.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  return all
    .map((row) =>
      headers
        .map((_, c) => (row[c] ?? "").padEnd(widths[c] ?? 0))
        .join("   ")
        .trimEnd(),
    )
    .join("\n");
}

/**
 * `[#####-----]` for `used` of `total`, `width` cells; a cell is filled per whole share, so a
 * bar is only full when nothing is free, and any use shows at least one cell.
 */
export function usageBar(used: number, total: number, width = 20): string {
  if (total <= 0) return `[${" ".repeat(width)}]`;
  const share = Math.min(used, total) / total;
  let filled = Math.floor(share * width);
  if (used > 0 && filled === 0) filled = 1;
  if (used < total && filled === width) filled = width - 1;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/** Whole percent, rounded down (100% only when full). */
export const percent = (used: number, total: number): string =>
  total <= 0 ? "-" : `${Math.floor((Math.min(used, total) * 100) / total)}%`;

/** `42s`, `5m`, `3h`, `2d`, as kubectl prints ages (`<1s` below one second). */
export function formatAge(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 1) return "<1s";
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h` : `${Math.floor(h / 24)}d`;
}
