// Validates an AsyncAPI document (a file path) with the maintained @asyncapi/parser.
// Prints every diagnostic as a JSON line; exits 1 when there is an error.
const fs = require("fs");
const { Parser } = require("@asyncapi/parser");

async function main(path) {
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(fs.readFileSync(path, "utf8"));
  for (const d of diagnostics) {
    console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
  }
  const errors = diagnostics.filter((d) => d.severity === 0);
  if (!document || errors.length) process.exit(1);
  console.log(JSON.stringify({ valid: true, version: document.version(), channels: document.channels().length }));
}

main(process.argv[2]).catch((error) => { console.error(error); process.exit(2); });
