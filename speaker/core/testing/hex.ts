/** Hex helpers for golden-byte tests; whitespace in the text is ignored. */
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s/g, "");
  if (!/^([0-9a-f]{2})*$/i.test(clean)) throw new TypeError(`not hex: ${text}`);
  return new Uint8Array(Buffer.from(clean, "hex"));
}
