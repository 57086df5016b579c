/** `ManualTimers` (lib/adapters/testing/), where the speaker's tests import them. */
export { ManualTimers } from "../../../lib/adapters/testing/manual-timers.js";
