// Import cycles in the workspace's own TypeScript: `node infra/src/import-cycles.ts [dir...]`
// (default packages and services) prints each cycle and exits 1 when there is one. Run by
// `make lint`. Type-only imports count: a type that goes round in a circle is a layering mistake too.
// Relative imports and the workspace's own packages (`@eventscope/<name>` -> its `exports`) are
// followed; anything else (node:, npm packages) is a leaf.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const root = resolve(import.meta.dirname, "../..");

/** `@eventscope/<name>` -> the file its "." export names, for every workspace package. */
function workspaceEntries(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const parent of ["packages", "services"]) {
    const dir = join(root, parent);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const manifest = join(dir, name, "package.json");
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; exports?: unknown };
      const exported = (pkg.exports as Record<string, unknown> | undefined)?.["."] ?? pkg.exports;
      if (pkg.name && typeof exported === "string") entries.set(pkg.name, join(dir, name, exported));
    }
  }
  return entries;
}

function sourceFiles(dir: string, into: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, into);
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) into.push(path);
  }
  return into;
}

/** The files a module imports (value and type imports, re-exports, dynamic imports). */
function importsOf(file: string, entries: Map<string, string>): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const found: string[] = [];
  for (const { fileName } of importedFiles) {
    const target = fileName.startsWith(".") ? resolve(dirname(file), fileName) : entries.get(fileName);
    if (target && existsSync(target) && statSync(target).isFile()) found.push(target);
  }
  return found;
}

/** Strongly connected components of more than one file (or a file importing itself), Tarjan's way. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const dirs = process.argv.slice(2);
  const entries = workspaceEntries();
  const graph = new Map<string, string[]>();
  for (const dir of dirs.length > 0 ? dirs : ["packages", "services"]) {
    for (const file of sourceFiles(resolve(root, dir))) graph.set(file, importsOf(file, entries));
  }
  const cycles = importCycles(graph);
  for (const cycle of cycles) {
    console.error(
      `import cycle of ${cycle.length} file(s):\n  ${cycle.map((f) => relative(root, f)).join("\n  ")}`,
    );
  }
  if (cycles.length > 0) process.exit(1);
  console.log(`no import cycle in ${graph.size} files`);
}
