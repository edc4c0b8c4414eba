import ts from "typescript";
import fs from "node:fs";
for (const f of process.argv.slice(2)) {
  const src = ts.createSourceFile(f, fs.readFileSync(f, "utf8"), ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (ts.isFunctionLike(n) && n.body) {
      const a = src.getLineAndCharacterOfPosition(n.getStart()).line, b = src.getLineAndCharacterOfPosition(n.end).line;
      if (b - a + 1 > 60) console.log(f, a + 1, b - a + 1, n.name?.getText?.() ?? "(anon)");
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  const lines = src.text.split("\n").length;
  if (lines > 300) console.log(f, "FILE", lines);
}
