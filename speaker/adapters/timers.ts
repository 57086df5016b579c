/** The injected clock and timers (lib/adapters/timers.ts), where the speaker's adapters import them. */
export { realTimers, type TimerHandle, type Timers } from "../../lib/adapters/timers.js";
