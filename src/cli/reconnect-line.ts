import type { WatchReconnectEvent } from "../client/event-watch.js";
import { codeName } from "./report-error.js";

/**
 * The stderr line for a watch that lost its stream and is about to open it again: stdout carries
 * only events, so that a script reading it is not disturbed, while a person sees why output paused.
 */
export function reconnectLine({ attempt, delayMs, error }: WatchReconnectEvent): string {
  const cause = error.rawMessage.replace(/\s*[\r\n]+\s*/g, " ");
  return `reconnecting in ${delayMs} ms (attempt ${attempt}): ${cause} (${codeName(error.code)})\n`;
}
