import { describe, expect, it } from "vitest";
import { EventscopeError, isRetriable } from "@eventscope/platform";
import { SendError } from "./channels.ts";
import { PostError } from "./http-post.ts";
import { TargetRefused } from "./webhook-target.ts";

describe("a channel's errors: of the one root, saying whether a later attempt can succeed", () => {
  it("carries the retriable flag the dispatcher and the subscriptions decide by", () => {
    const errors = [
      new SendError("HTTP 500"),
      new SendError("the subscription was deleted", false),
      new PostError("timed out after 10 ms", "ETIMEDOUT"),
      new TargetRefused("127.0.0.1 is loopback", "loopback"),
      new TargetRefused("no address", "unresolvable", true),
    ];
    expect(errors.map((e) => e instanceof EventscopeError && [e.name, e.code, e.retriable])).toEqual([
      ["SendError", "SEND_FAILED", true],
      ["SendError", "SEND_FAILED", false],
      ["PostError", "ETIMEDOUT", true],
      ["TargetRefused", "TARGET_REFUSED", false],
      ["TargetRefused", "TARGET_REFUSED", true],
    ]);
    expect(errors.map(isRetriable)).toEqual([true, false, true, false, true]);
  });
});
