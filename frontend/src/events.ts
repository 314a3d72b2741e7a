// Event names that Go sends with runtime.EventsEmit. This module is the one
// mirror of the constants in app/ui/events.go; app/ui/events_test.go checks
// that both lists are identical.
import { EventsOn } from "../wailsjs/runtime/runtime";
import type { ui } from "../wailsjs/go/models";

export const Events = {
  EventStatusChanged: "status:changed",
  EventLanguageChanged: "language:changed",
  EventRewriteProgress: "rewrite:progress",
  EventJobProgress: "job:progress",
} as const;

/** Payload type of each event. */
export interface EventPayloads {
  [Events.EventStatusChanged]: ui.Status;
  [Events.EventLanguageChanged]: string;
  [Events.EventRewriteProgress]: ui.RewriteProgressView;
  [Events.EventJobProgress]: ui.JobProgress;
}

export type EventName = keyof EventPayloads;

/**
 * Subscribes to one event and returns the function that unsubscribes; call
 * it from the cleanup of the effect that subscribed.
 */
export function onEvent<N extends EventName>(name: N, handler: (payload: EventPayloads[N]) => void): () => void {
  return EventsOn(name, (payload: EventPayloads[N]) => handler(payload));
}
