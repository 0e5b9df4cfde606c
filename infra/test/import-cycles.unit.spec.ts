import { describe, expect, it } from "vitest";
import { importCycles } from "../src/import-cycles.ts";

const graphOf = (edges: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(edges));

describe("importCycles", () => {
  it("finds no cycle in layers that point one way", () => {
    expect(
      importCycles(graphOf({ envelope: [], domains: ["envelope"], validation: ["domains", "envelope"] })),
    ).toEqual([]);
  });

  it("names every file of a cycle once, whatever its length", () => {
    const graph = graphOf({
      envelope: ["schemas"],
      schemas: ["registry"],
      registry: ["domains"],
      domains: ["envelope"],
      leaf: [],
    });
    expect(importCycles(graph)).toEqual([["domains", "envelope", "registry", "schemas"]]);
  });

  it("counts a module importing itself", () => {
    expect(importCycles(graphOf({ a: ["a"], b: ["a"] }))).toEqual([["a"]]);
  });
});
