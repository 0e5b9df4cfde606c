import { streamOfEvent, type CommittedEvent } from "@eventscope/contracts";

/**
 * Stage 5 of the write path, its one rule: what goes to events.committed goes in stream order.
 * A chunk can hold both events stored before a crash but never published (redelivered now) and
 * new events of the same streams: each stream's events are sent by version, once each, so a
 * reader never sees a version before the ones below it. Streams keep their first appearance.
 */
export function inStreamOrder(events: CommittedEvent[]): CommittedEvent[] {
  const byStream = new Map<string, CommittedEvent[]>();
  for (const event of events) {
    const id = streamOfEvent(event);
    const list = byStream.get(id);
    if (list) list.push(event);
    else byStream.set(id, [event]);
  }
  const out: CommittedEvent[] = [];
  for (const list of byStream.values()) {
    list.sort((a, b) => a.version - b.version);
    let last = -1;
    for (const event of list) {
      if (event.version === last) continue;
      last = event.version;
      out.push(event);
    }
  }
  return out;
}
