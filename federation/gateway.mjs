// The Apollo Federation gateway of Vextrus in distributed mode (docs/services/gateway.md).
//
// Serves the supergraph at POST/GET /graphql and a probe at GET /health. The Python gateway (port
// 4000) sits in front of it (token checks, rate limits, metrics) and forwards /graphql here.
//
// Environment:
//   VEXTRUS_FEDERATION_HOST / VEXTRUS_FEDERATION_PORT   where to listen (127.0.0.1:4001)
//   VEXTRUS_FEDERATION_SUPERGRAPH    a composed supergraph file (python -m vextrus.services.gateway.federation)
//   VEXTRUS_FEDERATION_SUBGRAPHS     or JSON {"name": "http://host:port/graphql"}: composed at start
//                                    from each subgraph's `{ _service { sdl } }` (IntrospectAndCompose)
//   VEXTRUS_FEDERATION_POLL_SECONDS  re-compose from the subgraphs this often (0: never; default 0)
//   VEXTRUS_ENV                      production: introspection off, unexpected errors masked
//   VEXTRUS_GRAPHQL_MAX_DEPTH / _MAX_ALIASES / _MAX_TOKENS   the same limits as every subgraph
//
// Subgraph requests carry the client's Authorization, Accept-Language, X-Company-ID, X-Request-ID
// and W3C trace headers: every service verifies the token itself. A response whose execution hit a
// failing subgraph carries `x-vextrus-federation-errors: <count>` for the Python gateway's metrics
// and `gateway.federation.error` events.
import { readFileSync } from "node:fs";
import http from "node:http";
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer, HeaderMap } from "@apollo/server";
import { GraphQLError, Kind } from "graphql";

const env = process.env;
const host = env.VEXTRUS_FEDERATION_HOST || "127.0.0.1";
const port = Number(env.VEXTRUS_FEDERATION_PORT || 4001);
const production = env.VEXTRUS_ENV === "production";
const maxDepth = Number(env.VEXTRUS_GRAPHQL_MAX_DEPTH || 10);
const maxAliases = Number(env.VEXTRUS_GRAPHQL_MAX_ALIASES || 30);
const maxTokens = Number(env.VEXTRUS_GRAPHQL_MAX_TOKENS || 2000);
const maxBodyBytes = 1024 * 1024;
const FORWARDED = ["authorization", "accept-language", "x-company-id", "x-request-id", "traceparent", "tracestate"];
const ERRORS_HEADER = "x-vextrus-federation-errors";

function log(event, fields = {}) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), service: "federation", event, ...fields }) + "\n");
}

// Depth counts nested selections below the root fields, fragments followed (as subgraphs count it).
function depthLimit(max) {
  return (context) => {
    const fragments = new Map();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const depthOf = (selectionSet, seen) => {
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        let depth = 0;
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith("__") || !selection.selectionSet) continue;
          depth = 1 + depthOf(selection.selectionSet, seen);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          depth = depthOf(selection.selectionSet, seen);
        } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const fragment = fragments.get(selection.name.value);
          if (!fragment || seen.has(fragment.name.value)) continue;
          depth = depthOf(fragment.selectionSet, new Set([...seen, fragment.name.value]));
        }
        deepest = Math.max(deepest, depth);
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > max) {
          context.reportError(
            new GraphQLError(`'${node.name?.value ?? "anonymous"}' exceeds maximum operation depth of ${max}`, {
              nodes: [node],
              extensions: { code: "QUERY_TOO_DEEP" },
            }),
          );
        }
      },
    };
  };
}

function aliasLimit(max) {
  return (context) => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias && ++aliases === max + 1) {
          context.reportError(
            new GraphQLError(`${aliases} aliases found. Allowed: ${max}`, { extensions: { code: "TOO_MANY_ALIASES" } }),
          );
        }
      },
    };
  };
}

class ForwardingDataSource extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    for (const [name, value] of Object.entries(context.forward ?? {})) request.http.headers.set(name, value);
  }

  didEncounterError(error, fetchRequest, fetchResponse, context) {
    if (context) context.federationErrors = (context.federationErrors ?? 0) + 1;
    log("subgraph_error", { url: this.url, status: fetchResponse?.status, error: String(error?.message ?? error) });
    throw error;
  }
}

function supergraphSource() {
  if (env.VEXTRUS_FEDERATION_SUPERGRAPH) {
    return { supergraphSdl: readFileSync(env.VEXTRUS_FEDERATION_SUPERGRAPH, "utf8") };
  }
  const subgraphs = Object.entries(JSON.parse(env.VEXTRUS_FEDERATION_SUBGRAPHS || "{}")).map(([name, url]) => ({
    name,
    url,
  }));
  if (subgraphs.length === 0) {
    throw new Error("set VEXTRUS_FEDERATION_SUPERGRAPH or VEXTRUS_FEDERATION_SUBGRAPHS");
  }
  const pollSeconds = Number(env.VEXTRUS_FEDERATION_POLL_SECONDS || 0);
  return {
    supergraphSdl: new IntrospectAndCompose({
      subgraphs,
      ...(pollSeconds > 0 ? { pollIntervalInMs: pollSeconds * 1000 } : {}),
    }),
  };
}

const gateway = new ApolloGateway({
  ...supergraphSource(),
  buildService: ({ url }) => new ForwardingDataSource({ url }),
});

const server = new ApolloServer({
  gateway,
  introspection: !production,
  includeStacktraceInErrorResponses: false,
  parseOptions: { maxTokens },
  validationRules: [depthLimit(maxDepth), aliasLimit(maxAliases)],
  formatError: (formatted) => {
    // Subgraphs' own errors (problem codes with a status) reach clients unchanged; anything else
    // (a subgraph's address, a fetch failure) is masked in production.
    if (!production || formatted.extensions?.status) return formatted;
    const code = formatted.extensions?.code;
    if (code === "INTERNAL_SERVER_ERROR" || code === "DOWNSTREAM_SERVICE_ERROR" || code === undefined) {
      return { message: "Internal server error", path: formatted.path, extensions: { code: code ?? "INTERNAL_SERVER_ERROR" } };
    }
    return formatted;
  },
  plugins: [
    {
      async requestDidStart() {
        return {
          async willSendResponse({ response, contextValue }) {
            const failures = contextValue.federationErrors ?? 0;
            if (failures > 0) response.http.headers.set(ERRORS_HEADER, String(failures));
          },
        };
      },
    },
  ],
});

await server.start();
let ready = true;

async function readBody(request) {
  const chunks = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > maxBodyBytes) throw Object.assign(new Error("request body too large"), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function reply(response, status, body, headers = {}) {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

const httpServer = http.createServer(async (request, response) => {
  const url = new URL(request.url, "http://federation.internal");
  if (url.pathname === "/health") {
    return reply(response, ready ? 200 : 503, { status: ready ? "ok" : "stopping", service: "federation" });
  }
  if (url.pathname !== "/graphql") return reply(response, 404, { errors: [{ message: "Not found" }] });
  try {
    const raw = request.method === "POST" ? await readBody(request) : "";
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    let body;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        return reply(response, 400, { errors: [{ message: "The request body is not valid JSON" }] });
      }
    }
    const forward = {};
    for (const name of FORWARDED) if (request.headers[name]) forward[name] = request.headers[name];
    const context = { forward, federationErrors: 0 };
    const result = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method, headers, search: url.search, body },
      context: async () => context,
    });
    for (const [name, value] of result.headers) response.setHeader(name, value);
    response.statusCode = result.status ?? 200;
    if (result.body.kind === "complete") {
      response.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) response.write(chunk);
      response.end();
    }
  } catch (error) {
    log("request_failed", { error: String(error?.message ?? error) });
    if (!response.headersSent) reply(response, error.status ?? 500, { errors: [{ message: error.status ? error.message : "Internal server error" }] });
    else response.destroy();
  }
});

httpServer.keepAliveTimeout = 65_000;
httpServer.listen(port, host, () => log("listening", { host, port, production }));

async function shutdown(signal) {
  ready = false;
  log("stopping", { signal });
  httpServer.close();
  await server.stop();
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
