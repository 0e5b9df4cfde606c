import { topics } from "@eventscope/contracts";

export type TopicNames = { [K in keyof typeof topics]: string };

/** The platform's topic names, optionally prefixed (tests and side-by-side stacks use a prefix). */
export function topicNames(prefix = ""): TopicNames {
  return {
    ingest: prefix + topics.ingest,
    committed: prefix + topics.committed,
    rejected: prefix + topics.rejected,
    deadLetter: prefix + topics.deadLetter,
  };
}
