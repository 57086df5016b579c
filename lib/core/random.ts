/**
 * A seeded pseudo-random source (mulberry32) for tests that must replay from a printed seed
 * (fuzzing, chaos). Small and fast; not for anything secret.
 */

/** Uniform in [0, 1), like Math.random. */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
