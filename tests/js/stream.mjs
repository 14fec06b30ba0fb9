// Streaming through the official JavaScript SDK: the seed agent streamed to its
// interrupt with streamMode ["values", "updates"], then resumed by streaming a
// command. The last line printed is `RESULT <json>` with every event seen, for
// tests/acceptance/test_js_stream.py to check.
import { Client } from "@langchain/langgraph-sdk";

const client = new Client({ apiUrl: process.env.INTERLOCK_URL });
const streamMode = ["values", "updates"];

async function collect(parts) {
  const seen = [];
  for await (const part of parts) {
    seen.push({ event: part.event, data: part.data });
  }
  return seen;
}

const { thread_id: threadID } = await client.threads.create();

const interrupted = await collect(
  client.runs.stream(threadID, "agent", {
    input: { some_text: "original text" },
    streamMode,
  }),
);

const resumed = await collect(
  client.runs.stream(threadID, "agent", {
    command: { resume: "Edited text" },
    streamMode,
  }),
);

const thread = await client.threads.get(threadID);
console.log("RESULT " + JSON.stringify({ interrupted, resumed, status: thread.status }));
