// Composes Vextrus subgraphs into an Apollo Federation supergraph with Apollo's own composition
// library. Input (stdin): JSON [{"name": "...", "url": "http://...", "sdl": "..."}], the SDL being
// each subgraph's `{ _service { sdl } }`. Output (stdout): JSON {"supergraphSdl": "...", "hints": [...]}
// and exit 0, or {"errors": [{"code", "message"}]} and exit 1. Usage: node compose.mjs < subgraphs.json
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function fail(errors) {
  process.stdout.write(JSON.stringify({ errors }) + "\n");
  process.exit(1);
}

const input = JSON.parse(await readStdin());
if (!Array.isArray(input) || input.length === 0) fail([{ code: "NO_SUBGRAPHS", message: "no subgraph given" }]);

const subgraphs = [];
for (const item of input) {
  try {
    subgraphs.push({ name: item.name, url: item.url, typeDefs: parse(item.sdl) });
  } catch (error) {
    fail([{ code: "INVALID_SDL", message: `${item.name}: ${error.message}` }]);
  }
}

const result = composeServices(subgraphs);
if (result.errors && result.errors.length > 0) {
  fail(result.errors.map((error) => ({ code: error.extensions?.code ?? "COMPOSITION_ERROR", message: error.message })));
}
const hints = (result.hints ?? []).map((hint) => ({ code: hint.definition?.code ?? "HINT", message: hint.message }));
process.stdout.write(JSON.stringify({ supergraphSdl: result.supergraphSdl, hints }) + "\n");
