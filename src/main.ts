import { run } from "./cli.js";

// The process entry point: wire the CLI to the real streams, then exit as soon
// as stdout is flushed (an idle keep-alive socket must not delay the client).
run({
  argv: process.argv.slice(2),
  env: process.env,
  stdin: process.stdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then((code) => {
  process.stdout.write("", () => process.exit(code));
});
