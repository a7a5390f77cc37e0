// Lists functions longer than --max lines (default 150) in the given folders, longest first; exits 1
// if there are any. "Length" is the declaration's first line to its closing brace. Only top-level
// functions count: a helper nested inside a component is part of that component's length.
//   npx tsx scripts/function-lengths.ts components app            (the 150-line rule)
//   npx tsx scripts/function-lengths.ts --max 0 components app    (every function, as a table)
import ts from "typescript";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const at = args.indexOf("--max");
const max = at >= 0 ? Number(args.splice(at, 2)[1]) : 150;

const files: string[] = [];
const walk = (path: string): void => {
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  else if (/\.tsx?$/.test(path)) files.push(path);
};
(args.length ? args : ["components", "app"]).forEach(walk);

const found: { lines: number; where: string }[] = [];
for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const line = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node): void => {
    let name: string | undefined;
    if (ts.isFunctionDeclaration(node)) name = node.name?.text ?? "default";
    else if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
    )
      name = node.name.text;
    if (name === undefined) return ts.forEachChild(node, visit);
    const start = line(node.getStart(source));
    found.push({ lines: line(node.getEnd()) - start + 1, where: `${file}:${start} ${name}` });
  };
  visit(source);
}

const over = found.filter((f) => f.lines > max).sort((a, b) => b.lines - a.lines);
for (const f of over) console.log(`${String(f.lines).padStart(5)}  ${f.where}`);
if (over.length && at < 0) {
  console.error(`${over.length} function(s) over ${max} lines`);
  process.exit(1);
}
