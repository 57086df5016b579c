/**
 * What `frr-reload.py --test --stdout` says it would change: the lines under its "Lines To
 * Delete" and "Lines To Add" headings (each heading is printed only when it has lines), without
 * the ones FRR can never change from a file without them (`no hostname X`: FRR keeps the
 * machine's hostname) and without frr-reload.py's log lines. Pure.
 */
const HEADING = /^Lines To (Delete|Add)$/;
const LOG = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ /;

export function reloadChanges(output: string): string[] {
  const changes: string[] = [];
  let inSection = false;
  for (const line of output.split("\n")) {
    if (HEADING.test(line)) inSection = true;
    else if (!inSection || /^=+$/.test(line) || line.trim() === "" || LOG.test(line)) continue;
    else if (!line.startsWith("no hostname ")) changes.push(line);
  }
  return changes;
}
